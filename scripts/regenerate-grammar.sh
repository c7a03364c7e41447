#!/usr/bin/env bash
# Regenerate grammars/apex/src/parser.c from grammars/apex/grammar.js. Run it after editing the
# grammar and commit what it writes: builds and CI only compile the committed C, so they need
# neither node nor the tree-sitter CLI.
#
# Needs tree-sitter-cli 0.25.10 (`cargo install --locked tree-sitter-cli@0.25.10`) and node.
#
# The generator adds `#pragma GCC optimize ("O0")` (and its clang/MSVC twins) to any parser whose
# lexer has more than 300 states, so the lexer would run unoptimised whatever the build asks
# for; this one has hundreds, and the lexer is a large share of parse time. The block is
# removed here, and grammars/apex/build.rs refuses a parser.c that still has it.
set -euo pipefail
cd "$(dirname "$0")/../grammars/apex"

want=0.25.10
have=$(tree-sitter --version 2>/dev/null | awk '{print $2}') || true
if [ "$have" != "$want" ]; then
  echo "regenerate-grammar: needs tree-sitter-cli $want (found: ${have:-none});" >&2
  echo "  cargo install --locked tree-sitter-cli@$want" >&2
  exit 2
fi

tree-sitter generate --abi 15
# The generator's intermediate form: not needed to build, and regenerated from grammar.js.
rm -f src/grammar.json

# Drop the block from `#ifdef _MSC_VER` to its `#endif` when it turns optimisation off.
python3 - src/parser.c <<'PY'
import re, sys
path = sys.argv[1]
text = open(path, encoding="utf-8").read()
block = re.compile(
    r'#ifdef _MSC_VER\n#pragma optimize\("", off\)\n#elif defined\(__clang__\)\n'
    r'#pragma clang optimize off\n#elif defined\(__GNUC__\)\n#pragma GCC optimize \("O0"\)\n#endif\n\n?'
)
text, count = block.subn("", text)
if "optimize" in text.split("#define LANGUAGE_VERSION")[0]:
    sys.exit("regenerate-grammar: an optimisation pragma is left in parser.c; update this script")
open(path, "w", encoding="utf-8").write(text)
print(f"regenerate-grammar: removed {count} -O0 pragma block(s)")
PY

grep -E '^#define (STATE_COUNT|LARGE_STATE_COUNT|SYMBOL_COUNT|TOKEN_COUNT)' src/parser.c
ls -l src/parser.c
