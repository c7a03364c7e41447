; Where a file stops parsing: LCK000 points at the first capture in document order.
; Compiled once by src/apex/parser; tests/grammars.rs compiles it against the pinned grammar.
(ERROR) @error
(MISSING) @missing
