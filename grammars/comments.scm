; Comments, read for `lockgen:` directives (suppressions). Only run on files that mention
; `lockgen:` at all, so ordinary files pay nothing for it.
[(line_comment) (block_comment)] @comment
