// End-to-end steps for the "All tags" view and the "Dataset" gallery (src/tagsView.ts, src/gallery.ts), called by
// run.mjs once the extension runs in code-server. They assume run.mjs's dataset after its earlier steps:
// 001.txt has "arms up" (Search vocabulary inserted it), 002.txt is "..., sitting, smile, looking at viewer",
// 004.txt is "..., standing, smile".
import * as fs from "node:fs";
import * as path from "node:path";

const STEP_TIMEOUT = 60_000;

async function until(what, check) {
  const deadline = Date.now() + STEP_TIMEOUT;
  for (;;) {
    const value = await check();
    if (value) {
      return value;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

function readCaptions(dataset) {
  return Object.fromEntries(
    ["001", "002", "003", "004"].map((stem) => [stem, fs.readFileSync(path.join(dataset, `${stem}.txt`), "utf8")]),
  );
}

/** Opens a file through Quick Open and waits for its text. */
async function openFile(page, name, text) {
  await page.keyboard.press("Control+P");
  const quickInput = page.locator(".quick-input-widget input");
  await quickInput.waitFor({ timeout: STEP_TIMEOUT });
  await quickInput.fill(name);
  await page.locator(".quick-input-list .monaco-list-row", { hasText: name }).first().waitFor();
  await page.keyboard.press("Enter");
  await page
    .locator(".editor-instance .monaco-editor .view-lines", { hasText: text })
    .first()
    .waitFor({ timeout: STEP_TIMEOUT });
}

/** The tree row of a tag in the "All tags" view. */
function tagRow(page, tag) {
  return page
    .locator(".pane-body .monaco-list-row[aria-label]", {
      has: page.locator(".label-name", { hasText: new RegExp(`^${tag}$`) }),
    })
    .first();
}

/** The "All tags" view lists each tag with its caption count; a click inserts the tag at the cursor. */
async function expectTagsView(page, { dataset, log, runCommand, goTo, screenshot }) {
  await page.locator('.activitybar .action-label[aria-label^="Dataset"]').first().click();
  const solo = tagRow(page, "solo");
  await solo.waitFor({ timeout: STEP_TIMEOUT });
  const counts = {};
  for (const tag of ["solo", "standing", "smile", "arms up", "sitting"]) {
    const row = tagRow(page, tag);
    await row.waitFor({ timeout: STEP_TIMEOUT });
    counts[tag] = Number((await row.locator(".label-description").innerText()).trim());
  }
  const summary = page.locator(".pane-body", { hasText: "tags in 4 captions" }).first();
  await summary.waitFor({ timeout: STEP_TIMEOUT });
  log(`All tags view: ${JSON.stringify(counts)}; message: ${(await summary.innerText()).split("\n")[0]}`);
  const expected = { solo: 4, standing: 3, smile: 3, "arms up": 2, sitting: 1 };
  if (JSON.stringify(counts) !== JSON.stringify(expected)) {
    throw new Error(`All tags view counts ${JSON.stringify(counts)}, expected ${JSON.stringify(expected)}`);
  }
  if (screenshot) {
    await runCommand(page, "Notifications: Clear All Notifications");
    await page.locator(".quick-input-widget").waitFor({ state: "hidden" });
    await page.mouse.move(640, 300); // no activity-bar tooltip in the picture
    await page.screenshot({ path: screenshot });
    log(`tags view screenshot: ${screenshot}`);
  }
  // A click inserts the tag at the end of 002's tags, with the separator the caption needs. (Not "arms up":
  // run.mjs's later completion steps complete `raised ar` to it in 002.)
  const before = readCaptions(dataset)["002"];
  await openFile(page, "002.txt", "sitting");
  await goTo(page, 1, before.trimEnd().length + 1);
  await tagRow(page, "closed eyes").click();
  await page.keyboard.press("Control+S");
  const inserted = `${before.trimEnd()}, closed eyes\n`;
  await until("the clicked tag in 002.txt", () => readCaptions(dataset)["002"] === inserted);
  log(`click on "closed eyes" in the view: 002.txt is now ${JSON.stringify(inserted)}`);
  // The view follows the edit: "closed eyes" is now in two captions.
  await until(
    "the view to count 2 for closed eyes",
    async () => (await tagRow(page, "closed eyes").locator(".label-description").innerText()).trim() === "2",
  );
}

/** The view's filter takes a query; the context menu adds a tag to exactly the captions it selects. */
async function expectTagsViewSelection(page, { dataset, log, runCommand }) {
  await page.locator('.action-label[aria-label^="Filter tags"]:visible').first().click();
  const input = page.locator(".quick-input-widget input");
  await input.waitFor({ timeout: STEP_TIMEOUT });
  await input.fill("standing");
  await page.keyboard.press("Enter");
  await page.locator(".pane-body", { hasText: "where standing: " }).first().waitFor({ timeout: STEP_TIMEOUT });
  const before = readCaptions(dataset);
  await tagRow(page, "closed eyes").click({ button: "right" });
  // VS Code's menu ignores a click that comes right after it opened: click until it closes.
  const item = page.locator(".context-view .action-label", { hasText: "Add to every selected caption" }).first();
  for (let attempt = 0; ; attempt++) {
    await item.click();
    try {
      await item.waitFor({ state: "hidden", timeout: 2000 });
      break;
    } catch (error) {
      if (attempt === 4) {
        throw error;
      }
    }
  }
  const toast = page.locator(".notification-toast", { hasText: "added to 2 captions matching standing" }).first();
  await toast.waitFor({ timeout: STEP_TIMEOUT });
  // 001 is open in an editor, so the edit waits there unsaved.
  await runCommand(page, "File: Save All");
  const expected = {
    ...before,
    "001": `${before["001"].trimEnd()}, closed eyes\n`,
    "004": `${before["004"].trimEnd()}, closed eyes\n`,
  };
  await until("closed eyes added to 001 and 004 only", () => JSON.stringify(readCaptions(dataset)) === JSON.stringify(expected));
  log(`view filtered by "standing", context menu "Add to every selected caption" on "closed eyes": 001.txt and 004.txt only`);
  await page.locator('.action-label[aria-label^="Clear tag filter"]:visible').first().click();
  await page.locator(".pane-body", { hasText: "where standing: " }).first().waitFor({ state: "detached" });
}

/** The gallery's frame: a webview is nested iframes; find the one holding the page. */
async function galleryFrame(page) {
  return until("the gallery page", async () => {
    for (const frame of page.frames()) {
      if (
        (await frame
          .locator("#grid")
          .count()
          .catch(() => 0)) > 0
      ) {
        return frame;
      }
    }
    return undefined;
  });
}

/** The gallery lists captions with thumbnails, filters with a where query, and a batch add edits the selection only. */
async function expectGallery(page, { dataset, log, runCommand, screenshot }) {
  // The gallery gets the editor area: no terminal below, no captions beside it.
  await runCommand(page, "View: Toggle Panel Visibility");
  await runCommand(page, "View: Close All Editor Groups");
  await runCommand(page, "captionls: Open dataset gallery");
  const frame = await galleryFrame(page);
  await frame.locator(".card").nth(3).waitFor({ timeout: STEP_TIMEOUT });
  await until("thumbnails decoded", () =>
    frame.evaluate(
      () => [...document.images].filter((image) => image.complete && image.naturalWidth === 192).length === 4,
    ),
  );
  // Counts arrive after the cards, for the cards in view: 001 has the duplicate smile at least.
  const badge = frame.locator(".card", { hasText: "001.txt" }).locator(".findings:not([hidden])");
  await badge.waitFor({ timeout: STEP_TIMEOUT });
  log(`gallery: 4 cards with thumbnails; 001.txt shows ${await badge.innerText()} findings`);
  await frame.locator("#where").fill("NOT sitting");
  await frame.locator("#where").press("Enter");
  await until("the filtered gallery", async () => (await frame.locator("#count").innerText()).startsWith("3 captions"));
  const names = await frame.locator(".card .name").allInnerTexts();
  if (names.join(",") !== "001.txt,003.txt,004.txt") {
    throw new Error(`gallery "NOT sitting" shows ${names}, expected 001.txt, 003.txt and 004.txt`);
  }
  const before = readCaptions(dataset);
  await frame.locator(".card", { hasText: "003.txt" }).locator(".pick").check();
  await frame.locator("#tag").fill("from side");
  await frame.locator("#tag-form button[type=submit]").click();
  await frame.locator("#status", { hasText: "added to 1 of 1 selected" }).waitFor({ timeout: STEP_TIMEOUT });
  // Saved by VS Code's refactoring auto-save when the file was not open; Save All covers an open one.
  await runCommand(page, "File: Save All");
  const expected = { ...before, "003": `${before["003"].trimEnd()}, from side\n` };
  await until("the batch add on disk", () => JSON.stringify(readCaptions(dataset)) === JSON.stringify(expected));
  log(`gallery: "from side" added to the selected 003.txt only: ${JSON.stringify(readCaptions(dataset)["003"])}`);
  if (screenshot) {
    await runCommand(page, "Notifications: Clear All Notifications");
    await page.locator(".quick-input-widget").waitFor({ state: "hidden" });
    await page.screenshot({ path: screenshot });
    log(`gallery screenshot: ${screenshot}`);
  }
  // A click on a card opens its caption, with the image beside it.
  await frame.locator(".card", { hasText: "001.txt" }).locator(".text").click();
  await page.locator(".tabs-container .tab.active", { hasText: "001.txt" }).first().waitFor({ timeout: STEP_TIMEOUT });
  await page.locator(".tabs-container .tab", { hasText: "001.png" }).first().waitFor({ timeout: STEP_TIMEOUT });
  log("gallery: a click on 001.txt's card opened the caption with 001.png beside it");
  await expectGalleryScales(frame, log);
}

/**
 * 5,000 captions in one message, into the real page: only the rows in view (and two either side) become cards,
 * so a screenful of thumbnails is fetched and decoded, not 5,000; scrolling to the middle shows the middle.
 * The images are the dataset's three, each under 5,000 distinct URLs (a query string), as 5,000 files would be.
 */
async function expectGalleryScales(frame, log) {
  // The saves of the batch add schedule a refresh of the list (debounced): let it arrive before the big list.
  await frame.evaluate(() => {
    window.lastCaptions = performance.now();
    window.addEventListener("message", (event) => {
      if (event.data?.type === "captions") {
        window.lastCaptions = performance.now();
      }
    });
  });
  await until("the gallery to settle", () => frame.evaluate(() => performance.now() - window.lastCaptions > 2000));
  const started = Date.now();
  const rendered = await frame.evaluate(async (total) => {
    const images = [...document.images].map((image) => image.src);
    const captions = Array.from({ length: total }, (_, index) => ({
      uri: `file:///scale/${String(index).padStart(5, "0")}.txt`,
      name: `${String(index).padStart(5, "0")}.txt`,
      text: `ohwxStyle, solo, tag number ${index}`,
      image: `${images[index % images.length]}?copy=${index}`,
    }));
    const begun = performance.now();
    window.postMessage({ type: "captions", where: "scale", captions }, "*");
    await new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)));
    const firstPaint = performance.now() - begun;
    const scroller = document.getElementById("scroller");
    scroller.scrollTop = scroller.scrollHeight / 2;
    await new Promise((resolve) => setTimeout(resolve, 300));
    const names = [...document.querySelectorAll(".card .name")].map((name) => name.textContent);
    return {
      firstPaint,
      cards: document.querySelectorAll(".card").length,
      images: document.images.length,
      count: document.getElementById("count").textContent,
      names,
    };
  }, 5000);
  const middle = rendered.names.some((name) => Number(name.slice(0, 5)) > 2000 && Number(name.slice(0, 5)) < 3000);
  if (!rendered.count.startsWith("5,000 captions") || rendered.cards > 200 || rendered.images > 200 || !middle) {
    throw new Error(`gallery at 5,000 captions: ${JSON.stringify({ ...rendered, names: rendered.names.slice(0, 3) })}`);
  }
  log(
    `gallery at 5,000 captions: ${rendered.cards} cards and ${rendered.images} images in the page, ` +
      `first paint ${Math.round(rendered.firstPaint)} ms, scrolled to ${rendered.names[0]} (${Date.now() - started} ms in all)`,
  );
}

/**
 * Both steps. `helpers`: { dataset, artifacts, log, runCommand, goTo, imagesDir? } — with imagesDir the
 * screenshots also go there as tags-view.png and gallery.png (the README's pictures).
 */
export async function expectTagsViewAndGallery(page, helpers) {
  const shot = (name) => (helpers.imagesDir ? path.join(helpers.imagesDir, name) : path.join(helpers.artifacts, name));
  await expectTagsView(page, { ...helpers, screenshot: shot("tags-view.png") });
  await expectTagsViewSelection(page, helpers);
  await expectGallery(page, { ...helpers, screenshot: shot("gallery.png") });
}
