// The dataset gallery's page (src/gallery.ts). The caption list arrives in one message; only the rows in and
// near the viewport exist in the page, so at 5,000 images the browser fetches and decodes a screenful of
// thumbnails at a time, and `loading="lazy"` keeps even those from loading before they are near the view.
// Finding counts take a check per caption, so the page asks for those of the cards it shows, as they show.
// @ts-check
(function () {
  // eslint-disable-next-line no-undef
  const vscode = acquireVsCodeApi();
  /** Rows kept above and below the visible ones, so a short scroll shows pictures already there. */
  const OVERSCAN_ROWS = 2;
  const scroller = /** @type {HTMLElement} */ (document.getElementById("scroller"));
  const grid = /** @type {HTMLElement} */ (document.getElementById("grid"));
  const whereInput = /** @type {HTMLInputElement} */ (document.getElementById("where"));
  const tagInput = /** @type {HTMLInputElement} */ (document.getElementById("tag"));
  const count = /** @type {HTMLElement} */ (document.getElementById("count"));
  const status = /** @type {HTMLElement} */ (document.getElementById("status"));

  /** @type {{uri: string, name: string, text: string, image: string | null}[]} */
  let captions = [];
  /** @type {Set<string>} */
  let selected = new Set();
  /** The index of the last card clicked, for shift-click ranges. */
  let anchor = -1;
  /** Cards in the page, by index in `captions`. @type {Map<number, HTMLElement>} */
  const cards = new Map();
  /** Finding counts by URI, as they arrive. @type {Map<string, number>} */
  const findings = new Map();
  /** URIs whose counts were asked for. @type {Set<string>} */
  const asked = new Set();
  let asking = 0;
  let layout = { columns: 1, rowHeight: 1, cardWidth: 1, gap: 0 };
  let frame = 0;

  function measure() {
    const style = getComputedStyle(document.documentElement);
    const cardWidth = parseFloat(style.getPropertyValue("--card-width")) || 180;
    const cardHeight = parseFloat(style.getPropertyValue("--card-height")) || 260;
    const gap = parseFloat(style.getPropertyValue("--gap")) || 8;
    const width = scroller.clientWidth - gap;
    const columns = Math.max(1, Math.floor(width / (cardWidth + gap)));
    layout = { columns, rowHeight: cardHeight + gap, cardWidth, gap };
    grid.style.height = `${Math.ceil(captions.length / columns) * layout.rowHeight + gap}px`;
  }

  function showCounts() {
    const shown = captions.length.toLocaleString("en");
    count.textContent = `${shown} captions · ${selected.size.toLocaleString("en")} selected`;
  }

  /** @param {number} index */
  function makeCard(index) {
    const caption = captions[index];
    const card = document.createElement("div");
    card.className = "card";
    card.tabIndex = 0;
    card.dataset.index = String(index);
    card.title = caption.name;
    const check = document.createElement("input");
    check.type = "checkbox";
    check.className = "pick";
    check.setAttribute("aria-label", `select ${caption.name}`);
    const thumb = document.createElement("div");
    thumb.className = "thumb";
    if (caption.image) {
      const img = document.createElement("img");
      img.loading = "lazy";
      img.decoding = "async";
      img.alt = caption.name;
      img.src = caption.image;
      thumb.append(img);
    } else {
      thumb.textContent = "no image";
    }
    const head = document.createElement("div");
    head.className = "head";
    const name = document.createElement("span");
    name.className = "name";
    name.textContent = caption.name;
    const badge = document.createElement("span");
    badge.className = "findings";
    head.append(check, name, badge);
    const text = document.createElement("div");
    text.className = "text";
    text.textContent = caption.text;
    card.append(thumb, head, text);
    return card;
  }

  /** @param {HTMLElement} card @param {number} index */
  function place(card, index) {
    const row = Math.floor(index / layout.columns);
    const column = index % layout.columns;
    card.style.transform = `translate(${layout.gap + column * (layout.cardWidth + layout.gap)}px, ${layout.gap + row * layout.rowHeight}px)`;
    const isSelected = selected.has(captions[index].uri);
    card.classList.toggle("selected", isSelected);
    /** @type {HTMLInputElement} */ (card.querySelector(".pick")).checked = isSelected;
    const count = findings.get(captions[index].uri);
    const badge = /** @type {HTMLElement} */ (card.querySelector(".findings"));
    badge.hidden = !count;
    badge.textContent = String(count ?? "");
    badge.title = `${count} finding${count === 1 ? "" : "s"}`;
  }

  /** Asks for the finding counts of the cards in the page that have none yet, once scrolling pauses. */
  function askFindingsSoon() {
    clearTimeout(asking);
    asking = setTimeout(() => {
      const uris = [...cards.keys()].map((index) => captions[index].uri).filter((uri) => !asked.has(uri));
      if (uris.length > 0) {
        uris.forEach((uri) => asked.add(uri));
        vscode.postMessage({ type: "findings", uris });
      }
    }, 150);
  }

  function render() {
    frame = 0;
    const first = Math.max(0, Math.floor(scroller.scrollTop / layout.rowHeight) - OVERSCAN_ROWS);
    const last = Math.ceil((scroller.scrollTop + scroller.clientHeight) / layout.rowHeight) + OVERSCAN_ROWS;
    const start = first * layout.columns;
    const end = Math.min(captions.length, last * layout.columns);
    for (const [index, card] of cards) {
      if (index < start || index >= end) {
        card.remove();
        cards.delete(index);
      }
    }
    for (let index = start; index < end; index++) {
      let card = cards.get(index);
      if (!card) {
        card = makeCard(index);
        cards.set(index, card);
        grid.append(card);
      }
      place(card, index);
    }
    askFindingsSoon();
  }

  function renderSoon() {
    if (!frame) {
      frame = requestAnimationFrame(render);
    }
  }

  function rebuild() {
    for (const card of cards.values()) {
      card.remove();
    }
    cards.clear();
    measure();
    render();
    showCounts();
  }

  /** @param {number} index @param {boolean} on */
  function setSelected(index, on) {
    const uri = captions[index].uri;
    if (on) {
      selected.add(uri);
    } else {
      selected.delete(uri);
    }
  }

  grid.addEventListener("click", (event) => {
    const target = /** @type {HTMLElement} */ (event.target);
    const card = /** @type {HTMLElement | null} */ (target.closest(".card"));
    if (!card) {
      return;
    }
    const index = Number(card.dataset.index);
    if (event.shiftKey && anchor >= 0) {
      const [from, to] = anchor < index ? [anchor, index] : [index, anchor];
      for (let i = from; i <= to; i++) {
        setSelected(i, true);
      }
    } else if (target.classList.contains("pick") || event.ctrlKey || event.metaKey) {
      setSelected(index, !selected.has(captions[index].uri));
      anchor = index;
    } else {
      anchor = index;
      vscode.postMessage({ type: "open", uri: captions[index].uri });
      return;
    }
    render();
    showCounts();
  });

  grid.addEventListener("keydown", (event) => {
    const card = /** @type {HTMLElement | null} */ (/** @type {HTMLElement} */ (event.target).closest(".card"));
    if (!card || (event.key !== " " && event.key !== "Enter")) {
      return;
    }
    event.preventDefault();
    const index = Number(card.dataset.index);
    if (event.key === "Enter") {
      vscode.postMessage({ type: "open", uri: captions[index].uri });
    } else {
      setSelected(index, !selected.has(captions[index].uri));
      anchor = index;
      render();
      showCounts();
    }
  });

  scroller.addEventListener("scroll", renderSoon, { passive: true });
  new ResizeObserver(() => {
    measure();
    renderSoon();
  }).observe(scroller);

  /** @type {HTMLFormElement} */ (document.getElementById("query-form")).addEventListener("submit", (event) => {
    event.preventDefault();
    status.textContent = "";
    vscode.setState({ where: whereInput.value });
    vscode.postMessage({ type: "query", where: whereInput.value });
  });
  /** @param {"add" | "remove"} action */
  function edit(action) {
    const tag = tagInput.value.trim();
    if (tag === "" || selected.size === 0) {
      status.className = "error";
      status.textContent =
        tag === "" ? "Type a tag first." : "Select captions first (checkbox, Ctrl+click, Shift+click).";
      return;
    }
    vscode.postMessage({ type: "edit", action, tag, uris: [...selected] });
  }
  /** @type {HTMLFormElement} */ (document.getElementById("tag-form")).addEventListener("submit", (event) => {
    event.preventDefault();
    edit("add");
  });
  /** @type {HTMLElement} */ (document.getElementById("remove")).addEventListener("click", () => edit("remove"));
  /** @type {HTMLElement} */ (document.getElementById("select-all")).addEventListener("click", () => {
    selected = new Set(captions.map((caption) => caption.uri));
    render();
    showCounts();
  });
  /** @type {HTMLElement} */ (document.getElementById("select-none")).addEventListener("click", () => {
    selected.clear();
    render();
    showCounts();
  });

  window.addEventListener("message", (event) => {
    const message = event.data;
    if (message.type === "captions") {
      const sameList = message.where === whereInput.value.trim();
      captions = message.captions;
      // The selection keeps only captions still shown: an edit applies to what the user can see.
      const shown = new Set(captions.map((caption) => caption.uri));
      selected = new Set([...selected].filter((uri) => shown.has(uri)));
      // Texts may have changed: counts are asked for again.
      findings.clear();
      asked.clear();
      if (!sameList) {
        scroller.scrollTop = 0;
      }
      rebuild();
    } else if (message.type === "findings") {
      for (const [uri, count] of Object.entries(message.counts)) {
        findings.set(uri, count);
      }
      renderSoon();
    } else if (message.type === "error") {
      status.className = "error";
      status.textContent = message.message;
    } else if (message.type === "edited") {
      status.className = "";
      status.textContent = message.message;
    }
  });

  const state = vscode.getState();
  if (state && typeof state.where === "string") {
    whereInput.value = state.where;
  }
  vscode.postMessage(state && state.where ? { type: "query", where: state.where } : { type: "ready" });
})();
