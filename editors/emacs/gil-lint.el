;;; gil-lint.el --- Eglot configuration for the gil-lint language server  -*- lexical-binding: t; -*-

;; Package-Requires: ((emacs "28.1") (eglot "1.9"))
;; Keywords: languages, tools, python

;;; Commentary:

;; gil-lint finds Python concurrency mistakes (CPU-bound work in threads, blocking calls
;; in `async def', multiprocessing and asyncio pitfalls).  Loading this file registers
;; `gil-lint server' with Eglot for `python-mode' and `python-ts-mode':
;;
;;   (add-to-list 'load-path "/path/to/gil-lint/editors/emacs")
;;   (require 'gil-lint)
;;   (add-hook 'python-mode-hook #'eglot-ensure)     ; and/or python-ts-mode-hook
;;   (add-hook 'python-mode-hook #'gil-lint-fix-on-save-mode) ; optional
;;
;; Eglot runs one server per buffer: this replaces pylsp/pyright for Python buffers.
;; Settings (passed as initializationOptions): `gil-lint-initialization-options'.
;; Quick fixes: M-x eglot-code-actions (or eglot-code-action-quickfix) on a finding.
;; Fix all safe fixes: M-x gil-lint-fix-all, or before every save with
;; `gil-lint-fix-on-save-mode'.  See README.md next to this file.
;; Tested headless with Emacs 28.2 + Eglot 1.9 (Debian 12) by tests/test_emacs.py.

;;; Code:

(require 'cl-lib)
(require 'eglot)

(defgroup gil-lint nil
  "The gil-lint language server, through Eglot."
  :group 'eglot
  :prefix "gil-lint-")

(defcustom gil-lint-server-command '("gil-lint" "server")
  "Program and arguments that start the gil-lint language server.
For a project's virtual environment, e.g.
  (\"/path/to/venv/bin/python\" \"-m\" \"gil_lint\" \"server\")."
  :type '(repeat string))

(defcustom gil-lint-initialization-options nil
  "Settings sent to the server as LSP initializationOptions, as a plist.
Keys (all optional; they apply over the file's [tool.gil-lint] table):
  :select       vector of codes/prefixes, replaces the project's `select'
  :ignore       vector of codes/prefixes, added to the project's `ignore'
  :extendSelect vector of codes/prefixes, like `extend-select'
  :targetGil    \"auto\", \"enabled\" or \"disabled\" (free-threaded Python)
  :unsafeFixes  t (default) or :json-false: offer unsafe quick fixes
Lists must be vectors and false must be :json-false, e.g.
  \\='(:ignore [\"GIL404\"] :unsafeFixes :json-false)
Read when the server starts (\\[eglot-reconnect] after a change); it can be
set per project in .dir-locals.el."
  :type '(plist :key-type symbol :value-type sexp)
  :safe #'listp)

(defconst gil-lint-fix-all-kind "source.fixAll.gil-lint"
  "The code action kind of the server's \"Fix all safe fixes\" action.")

(defconst gil-lint-modes
  '((python-mode :language-id "python") (python-ts-mode :language-id "python"))
  "Major modes managed by gil-lint (python-ts-mode exists from Emacs 29).")

(defun gil-lint-eglot-contact (&optional _interactive)
  "The Eglot contact for gil-lint: `gil-lint-server-command' with its options.
Called by Eglot in the buffer being connected, so buffer-local (directory-local)
values of the options apply."
  (append gil-lint-server-command
          (list :initializationOptions gil-lint-initialization-options)))

;; First in the list, so it wins over Eglot's own Python entry (pylsp and friends).
(setq eglot-server-programs
      (cons (cons gil-lint-modes #'gil-lint-eglot-contact)
            (cl-remove #'gil-lint-eglot-contact eglot-server-programs :key #'cdr)))

;; "Verify this finding" runs the runtime verifier for seconds (up to its 120 s timeout)
;; and the server answers when it is done.  Eglot sends workspace/executeCommand
;; synchronously, which would freeze Emacs meanwhile and give up after
;; `jsonrpc-default-request-timeout' (10 s); send this one asynchronously instead.  The
;; verdict arrives as a message (window/showMessage) and on the diagnostic.  (Eglot
;; 1.9-1.15 call `eglot-execute-command'; newer ones do not, and still wait.)
(cl-defmethod eglot-execute-command (server (_command (eql 'gil-lint.verify)) arguments)
  "Start gil-lint's verifier on SERVER with ARGUMENTS without blocking Emacs."
  (jsonrpc-async-request
   server :workspace/executeCommand
   `(:command "gil-lint.verify" :arguments ,arguments)
   :success-fn #'ignore
   :error-fn (lambda (err) (message "gil-lint verify failed: %s" (plist-get err :message)))
   :timeout-fn (lambda () (message "gil-lint verify: no answer within 300 s"))
   :timeout 300)
  (message "gil-lint: verifying in the background; the verdict will show as a message"))

;;;###autoload
(defun gil-lint-fix-all ()
  "Apply all of gil-lint's safe fixes to the current buffer.
This is the server's `source.fixAll.gil-lint' code action, the same fixes as
`gil-lint check --fix'.  Does nothing when the buffer is not managed by Eglot
or has nothing to fix."
  (interactive)
  (when (and (eglot-managed-p)
             ;; Only Eglot's public API: ask first (the interactive call below errors
             ;; out when there is no action), then let Eglot apply the single action.
             (eglot-code-actions (point-min) (point-max) gil-lint-fix-all-kind))
    (eglot-code-actions (point-min) (point-max) gil-lint-fix-all-kind t)))

;;;###autoload
(define-minor-mode gil-lint-fix-on-save-mode
  "Apply gil-lint's safe fixes before each save (like VS Code's codeActionsOnSave).
Enable it from `python-mode-hook' (and/or `python-ts-mode-hook')."
  :lighter nil
  (if gil-lint-fix-on-save-mode
      (add-hook 'before-save-hook #'gil-lint-fix-all nil t)
    (remove-hook 'before-save-hook #'gil-lint-fix-all t)))

(provide 'gil-lint)
;;; gil-lint.el ends here
