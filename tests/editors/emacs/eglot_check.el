;;; eglot_check.el --- headless check of editors/emacs/gil-lint.el  -*- lexical-binding: t; -*-

;; Run by tests/test_emacs.py: emacs --batch -Q -l eglot_check.el
;; Loads the shipped editors/emacs/gil-lint.el the way a user would, opens
;; $GIL_LINT_FILE (a GIL201 finding), waits for the Flymake diagnostic, starts "Verify
;; this finding" (it must not block Emacs) and waits for its verdict, applies the quick
;; fix through `eglot-code-actions' (the M-x path, picking the fix from the menu),
;; waits for the diagnostic to clear, then adds a second finding and saves with
;; `gil-lint-fix-on-save-mode' on.  Prints "OK" and exits 0, or "FAIL: <why>" plus the
;; tail of Eglot's events buffer and exits 1.

(require 'cl-lib)
(require 'package)
;; -Q skips Debian's site-start, which activates the elpa-* packages (eglot 1.9)
(add-to-list 'package-directory-list "/usr/share/emacs/site-lisp/elpa")
(package-initialize)

(defvar gil-test-root (getenv "GIL_LINT_ROOT"))
(defvar gil-test-file (getenv "GIL_LINT_FILE"))
(defvar gil-test-timeout 30 "Seconds to wait for each step.")

(defun gil-test--dump ()
  "Eglot's events and the server's stderr, for the failure message."
  (dolist (buf (buffer-list))
    (when (string-match-p "EGLOT.*\\(events\\|stderr\\)" (buffer-name buf))
      (with-current-buffer buf
        (message "---- %s (tail) ----\n%s" (buffer-name)
                 (buffer-substring-no-properties
                  (max (point-min) (- (point-max) 6000)) (point-max)))))))

(defun gil-test-fail (fmt &rest args)
  (message "FAIL: %s" (apply #'format fmt args))
  (gil-test--dump)
  (kill-emacs 1))

(defun gil-test--idle ()
  "What an interactive Emacs does after a command and when the user pauses.
Batch Emacs runs neither `post-command-hook' nor idle timers by itself; Eglot sends
didChange and Flymake starts a check from them."
  (run-hooks 'post-command-hook)
  (dolist (timer (copy-sequence timer-idle-list))
    (timer-event-handler timer)))

(defun gil-test-wait (what pred &optional timeout)
  "Poll PRED (with the process output and idle timers running) or fail naming WHAT."
  (let* ((timeout (or timeout gil-test-timeout))
         (deadline (+ (float-time) timeout)))
    (while (and (not (funcall pred)) (< (float-time) deadline))
      (accept-process-output nil 0.1)
      (gil-test--idle))
    (or (funcall pred)
        (gil-test-fail "no %s within %d s" what timeout))))

(defun gil-test-choose-action (pos pattern)
  "M-x eglot-code-actions at POS, picking the action whose title matches PATTERN.
Returns the titles offered."
  (let ((last-nonmenu-event 13)          ; a key, not a mouse click: no popup menu
        offered)
    (goto-char pos)
    (cl-letf (((symbol-function 'completing-read)
               (lambda (_prompt items &rest _)
                 (setq offered (mapcar #'car items))
                 (or (cl-find-if (lambda (title) (string-match-p pattern title)) offered)
                     (gil-test-fail "no action matching %S offered: %S" pattern offered)))))
      (eglot-code-actions pos nil nil t))
    offered))

(defvar gil-test-server-messages nil "window/showMessage texts, newest first.")
(advice-add 'eglot-handle-notification :before
            (lambda (_server method &rest params)
              (when (eq method 'window/showMessage)
                (push (plist-get params :message) gil-test-server-messages))))

(defun gil-test-findings (code)
  "Flymake diagnostics of the current buffer whose text names CODE."
  (cl-remove-if-not (lambda (d) (string-match-p (regexp-quote code) (flymake-diagnostic-text d)))
                    (flymake-diagnostics)))

(defun gil-test-run ()
  (unless (require 'eglot nil t)
    (gil-test-fail "Eglot not found in Emacs %s: apt-get install -y emacs-nox elpa-eglot"
                   emacs-version))
  (load (expand-file-name "editors/emacs/gil-lint.el" gil-test-root) nil t)
  (unless (executable-find "gil-lint")
    (setq gil-lint-server-command
          (list (getenv "GIL_LINT_PYTHON") "-m" "gil_lint" "server")))
  ;; initializationOptions: a plist with vectors, as the README shows
  (setq gil-lint-initialization-options '(:ignore ["GIL404"] :unsafeFixes t))
  (add-hook 'python-mode-hook #'eglot-ensure)
  (add-hook 'python-mode-hook #'gil-lint-fix-on-save-mode)
  (find-file gil-test-file)
  (unless (derived-mode-p 'python-mode)
    (gil-test-fail "%s opened in %s, not python-mode" gil-test-file major-mode))
  (gil-test-wait "Eglot connection" #'eglot-managed-p)
  (let ((server (eglot-current-server)))
    (unless (equal (eglot-initialization-options server)
                   gil-lint-initialization-options)
      (gil-test-fail "initializationOptions not passed: %S"
                     (eglot-initialization-options server))))
  (gil-test-wait "GIL201 diagnostic" (lambda () (gil-test-findings "GIL201")))
  (let* ((diag (car (gil-test-findings "GIL201")))
         (beg (flymake-diagnostic-beg diag))
         (found (buffer-substring-no-properties beg (flymake-diagnostic-end diag)))
         (start (float-time)))
    (unless (equal found "time.sleep(1)")
      (gil-test-fail "diagnostic covers %S, not time.sleep(1)" found))
    ;; "Verify this finding" runs in the background (gil-lint.el sends it asynchronously):
    ;; Emacs is not blocked while the verifier measures; any verdict will do
    (gil-test-choose-action beg "Verify this finding")
    (when (> (- (float-time) start) 3)
      (gil-test-fail "Verify blocked Emacs for %.1f s" (- (float-time) start)))
    (gil-test-wait "verifier's message"
                   (lambda () (cl-find-if (lambda (m) (string-prefix-p "gil-lint verify" m))
                                          gil-test-server-messages))
                   120)
    (message "verify: %s" (car gil-test-server-messages))
    ;; M-x eglot-code-actions with point on the finding, choosing the quick fix
    (message "offered: %S" (gil-test-choose-action beg "asyncio\\.sleep")))
  (let ((text (buffer-string)))
    (unless (and (string-match-p "await asyncio\\.sleep(1)" text)
                 (string-match-p "^import asyncio$" text))
      (gil-test-fail "quick fix not applied:\n%s" text)))
  (gil-test-wait "cleared GIL201 diagnostic after the fix"
                 (lambda () (null (gil-test-findings "GIL201"))))
  ;; fix-all on save (source.fixAll.gil-lint through gil-lint-fix-on-save-mode)
  ;; non-ASCII before the finding: Eglot 1.9 counts UTF-16 code units, as the server must
  (goto-char (point-max))
  (insert "\n\nasync def g():\n    x = '\U0001F40D\u00e9'; time.sleep(2)\n")
  (gil-test-wait "GIL201 diagnostic for the new line" (lambda () (gil-test-findings "GIL201")))
  (let* ((diag (car (gil-test-findings "GIL201")))
         (found (buffer-substring-no-properties (flymake-diagnostic-beg diag)
                                                (flymake-diagnostic-end diag))))
    (unless (equal found "time.sleep(2)")
      (gil-test-fail "diagnostic after non-ASCII text covers %S, not time.sleep(2)" found)))
  (save-buffer)
  (with-temp-buffer
    (insert-file-contents gil-test-file)
    (unless (string-match-p "await asyncio\\.sleep(2)" (buffer-string))
      (gil-test-fail "fix-all on save not applied, file is:\n%s" (buffer-string)))
    (unless (= 1 (how-many "^import asyncio$" (point-min) (point-max)))
      (gil-test-fail "import asyncio not added exactly once:\n%s" (buffer-string))))
  (gil-test-wait "cleared diagnostics after saving"
                 (lambda () (null (gil-test-findings "GIL201"))))
  (message "OK (eglot %s, emacs %s)"
           (package-version-join (package-desc-version (cadr (assq 'eglot package-alist))))
           emacs-version)
  (kill-emacs 0))

(condition-case err
    (gil-test-run)
  (error (gil-test-fail "error: %S" err)))

;;; eglot_check.el ends here
