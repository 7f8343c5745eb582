;;; captionls.el --- captionls (booru-tag captions) through eglot -*- lexical-binding: t -*-

;; Load this file (or copy it into your init file), then open a caption.
;; Needs eglot (built into Emacs 29; the `elpa-eglot' package or GNU ELPA on Emacs 28) and `captionls'
;; on `exec-path' (pip install captionls).

;;; Commentary:
;; Caption files are plain `.txt' (or `.caption') files beside an image of the same name, or below a
;; `captionls.toml'.  Only those start the server; once it runs, eglot also hands it the project's other
;; text-mode buffers, and the server leaves those alone (no completion, hover or diagnostics).

;;; Code:

(require 'eglot)
(require 'seq)

(defgroup captionls nil
  "Booru-tag captions for image datasets."
  :group 'tools)

(defcustom captionls-command '("captionls" "serve")
  "How to start the captionls language server."
  :type '(repeat string))

(defconst captionls-image-extensions '("png" "jpg" "jpeg" "webp" "bmp" "gif" "avif" "jxl")
  "Extensions of the image a caption describes, in lookup order.")

(define-derived-mode caption-mode text-mode "Caption"
  "Major mode for `.caption' files (plain `.txt' captions keep `text-mode').")

(add-to-list 'auto-mode-alist '("\\.caption\\'" . caption-mode))
(add-to-list 'eglot-server-programs `((caption-mode text-mode) . ,captionls-command))

(defun captionls-image (file)
  "The image beside the caption FILE, or nil."
  (let ((stem (file-name-sans-extension file)))
    (seq-some (lambda (extension)
                (seq-find #'file-exists-p
                          (list (concat stem "." extension) (concat stem "." (upcase extension)))))
              captionls-image-extensions)))

(defun captionls-caption-p (file)
  "Whether FILE is a caption: an image beside it, or a captionls.toml above it."
  (and (member (file-name-extension file) '("txt" "caption"))
       (or (captionls-image file)
           (locate-dominating-file file "captionls.toml"))
       t))

(defun captionls-maybe-start ()
  "Start eglot in this buffer when it visits a caption."
  (when (and buffer-file-name
             (memq major-mode '(text-mode caption-mode))
             (captionls-caption-p buffer-file-name))
    (eglot-ensure)))

(add-hook 'text-mode-hook #'captionls-maybe-start)

(defun captionls-show-image ()
  "Show the image beside this caption in the other window."
  (interactive)
  (let ((image (and buffer-file-name (captionls-image buffer-file-name))))
    (if image
        (save-selected-window (find-file-other-window image))
      (message "captionls: no image beside %s" (buffer-name)))))

(provide 'captionls)
;;; captionls.el ends here
