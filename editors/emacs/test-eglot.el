;;; test-eglot.el --- captionls.el in a real Emacs with eglot, in batch mode -*- lexical-binding: t -*-

;; Run by editors/emacs/test-eglot (which makes the dataset):
;;   emacs --batch --eval '(setq captionls-command (list "CAPTIONLS" "serve"))' \
;;         -l captionls.el -l test-eglot.el -f captionls-test-run DATASET

;;; Code:

(require 'captionls)
(require 'flymake)

(defvar captionls-test-failures 0)

(defun captionls-test-check (what ok &optional detail)
  "Report WHAT as passed when OK, else failed with DETAIL."
  (if ok
      (message "ok: %s" what)
    (setq captionls-test-failures (1+ captionls-test-failures))
    (message "FAILED: %s%s" what (if detail (format " (%s)" detail) ""))))

(defun captionls-test-wait (predicate seconds)
  "Let the server talk until PREDICATE holds or SECONDS pass; return its value."
  (let ((deadline (+ (float-time) seconds))
        value)
    (while (and (not (setq value (funcall predicate))) (< (float-time) deadline))
      (accept-process-output nil 0.05))
    value))

(defun captionls-test-open (file)
  "Visit FILE the way a user would: the mode hook, then the command loop's post-command-hook."
  (find-file file)
  (run-hooks 'post-command-hook)
  (current-buffer))

(defun captionls-test-diagnostics ()
  "The flymake diagnostics' texts of this buffer."
  (flymake-start)
  (mapcar #'flymake-diagnostic-text (flymake-diagnostics)))

(defun captionls-test-run ()
  "Open a caption and a README.txt of the dataset in `command-line-args-left'; exit non-zero on failure."
  (let* ((dataset (file-name-as-directory (expand-file-name (pop command-line-args-left))))
         (eglot-sync-connect 30)
         (caption (captionls-test-open (concat dataset "001.txt"))))
    (captionls-test-check "the caption is managed by eglot"
                          (captionls-test-wait #'eglot-managed-p 30))
    (let ((texts (captionls-test-wait
                  (lambda ()
                    (seq-filter (lambda (text) (string-match-p "\\[duplicate-tag\\]" text))
                                (captionls-test-diagnostics)))
                  30)))
      (captionls-test-check "duplicate-tag diagnostic" texts (captionls-test-diagnostics)))
    ;; Hover over the alias names its canonical tag.
    (goto-char (point-min))
    (search-forward "sole fem")
    (let* ((hover (jsonrpc-request (eglot-current-server) :textDocument/hover
                                   (eglot--TextDocumentPositionParams)))
           (contents (format "%S" (plist-get hover :contents))))
      (captionls-test-check "hover over `sole female' names 1girl" (string-match-p "1girl" contents) contents))
    ;; Completion through eglot's completion-at-point function, as M-x completion-at-point uses it.
    (goto-char (point-min))
    (end-of-line)
    (insert ", contra")
    (let* ((capf (eglot-completion-at-point))
           (candidates (and capf (all-completions (buffer-substring (nth 0 capf) (nth 1 capf)) (nth 2 capf)))))
      (captionls-test-check "completing `contra' offers contrapposto"
                            (member "contrapposto" (mapcar #'substring-no-properties candidates))
                            (seq-take candidates 10)))
    (set-buffer-modified-p nil)
    ;; README.txt is text-mode too; eglot hands it to the running server, which leaves it alone.
    (with-current-buffer (captionls-test-open (concat dataset "README.txt"))
      (goto-char (point-max))
      (insert "contra")
      (let* ((capf (eglot-completion-at-point))
             (candidates (and capf (all-completions "contra" (nth 2 capf)))))
        (captionls-test-check "README.txt gets no completion" (null candidates) candidates))
      (accept-process-output nil 1)
      (captionls-test-check "README.txt gets no diagnostics" (null (captionls-test-diagnostics)))
      (set-buffer-modified-p nil))
    (with-current-buffer caption
      (eglot-shutdown (eglot-current-server)))
    (kill-emacs (if (= captionls-test-failures 0) 0 1))))

;;; test-eglot.el ends here
