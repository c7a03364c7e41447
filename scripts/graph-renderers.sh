#!/usr/bin/env bash
# Render every format of `lockgen graph` with a real renderer (run by .ci/run):
# - DOT: Graphviz `dot -Tsvg` (Debian's graphviz): exit 0, nothing on stderr, one SVG node per
#   object and writer;
# - Mermaid: `mermaid.parse` under node, and `mermaid.render` in headless Chromium with
#   Mermaid's default limits (the `mermaid` npm package, pinned), counting the nodes drawn;
# - HTML: the page opened from disk in headless Chromium (Debian's chromium, driven by the
#   pinned playwright-core): search an object, click nodes, check the writers and findings
#   listed, save a screenshot (checked for being non-blank), and no network request;
# - JSON: parsed, and its counts match the SVG's.
# Projects: the example org (whole, and one object's neighbourhood), a project with hostile
# names, and two generated ones large enough to make the Mermaid output draw coarser.
#
# Usage: scripts/graph-renderers.sh [LOCKGEN] [ORG_DIR:OBJECT …]
#   LOCKGEN defaults to target/release/lockgen; each ORG_DIR:OBJECT adds a real org, drawn whole
#   and around OBJECT (for example /path/to/NPSP:Opportunity). Output, screenshots included, goes
#   to target/graph-render/out/.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
lockgen=$(realpath "${1:-target/release/lockgen}")
shift || true

# Debian packages: the release's versions (Debian stable takes security fixes only); the
# versions checked here were current when this was written, and are installed when available.
GRAPHVIZ_VERSION="2.42.2-7+deb12u1"
CHROMIUM=/usr/bin/chromium

install_debian() {
  local missing=()
  command -v dot >/dev/null || missing+=(graphviz)
  [ -x "$CHROMIUM" ] || missing+=(chromium)
  fc-list 2>/dev/null | grep -qi dejavu || missing+=(fonts-dejavu-core)
  [ "${#missing[@]}" -eq 0 ] && return
  if [ "$(id -u)" != 0 ]; then
    echo "graph-renderers: install ${missing[*]} (Debian packages) first" >&2
    exit 2
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  local pinned=()
  for package in "${missing[@]}"; do
    if [ "$package" = graphviz ] && apt-cache madison graphviz | grep -qF "$GRAPHVIZ_VERSION"; then
      pinned+=("graphviz=$GRAPHVIZ_VERSION")
    else
      pinned+=("$package")
    fi
  done
  apt-get install -y -qq --no-install-recommends "${pinned[@]}" >/dev/null
}
install_debian
command -v node >/dev/null && command -v npm >/dev/null || {
  echo "graph-renderers: node and npm are needed" >&2
  exit 2
}
echo "  $(dot -V 2>&1); $("$CHROMIUM" --version 2>/dev/null); node $(node --version)"

# npm packages, exactly as package-lock.json pins them (integrity hashes included).
work=$repo/target/graph-render
mkdir -p "$work/node"
if ! cmp -s scripts/graph-render/package-lock.json "$work/node/package-lock.json" ||
  [ ! -d "$work/node/node_modules" ]; then
  cp scripts/graph-render/package.json scripts/graph-render/package-lock.json "$work/node/"
  (cd "$work/node" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
fi
cp scripts/graph-render/check.mjs "$work/node/"

# The page's drawing library is the npm package's file, byte for byte.
cmp vendor/cytoscape/cytoscape.min.js "$work/node/node_modules/cytoscape/dist/cytoscape.min.js"
cmp vendor/cytoscape/LICENSE "$work/node/node_modules/cytoscape/LICENSE"

out=$work/out
rm -rf "$out"
mkdir -p "$out"
failures=0
fail() {
  echo "  FAIL $*" >&2
  failures=$((failures + 1))
}

# ---- projects ---------------------------------------------------------------------------------

projects=$out/projects
mkdir -p "$projects"
sfdx='{"packageDirectories": [{"path": "force-app", "default": true}, {"path": "extra"}], "sourceApiVersion": "61.0"}'

# Names that would break out of a label, a string or a script element, in metadata and in the
# project's own path.
hostile="$projects/hostile <b>&\"'x"
mkdir -p "$hostile/force-app/main/default/objects/Child__c/fields" "$hostile/force-app/main/default/triggers"
echo '{"packageDirectories": [{"path": "force-app", "default": true}]}' >"$hostile/sfdx-project.json"
cat >"$hostile/force-app/main/default/objects/Child__c/fields/Parent__c.field-meta.xml" <<'EOF'
<?xml version="1.0" encoding="UTF-8"?>
<CustomField xmlns="http://soap.sforce.com/2006/04/metadata">
    <fullName>Parent__c</fullName>
    <type>Lookup</type>
    <referenceTo>Evil"]--&gt;x[["&lt;/script&gt;&lt;!--|`#;{}\n__c</referenceTo>
    <deleteConstraint>Restrict</deleteConstraint>
</CustomField>
EOF
cat >"$hostile/force-app/main/default/triggers/ChildTrigger.trigger" <<'EOF'
trigger ChildTrigger on Child__c (after insert) {
    insert new Child__c();
}
EOF

# Chains of objects, each with a master-detail to the next and a trigger that updates it.
synthetic() {
  local dir=$1 count=$2
  mkdir -p "$dir"
  echo "$sfdx" >"$dir/sfdx-project.json"
  for i in $(seq 1 "$count"); do
    local pkg=force-app
    [ $((i % 2)) -eq 0 ] && pkg=extra
    local next=$((i + 1))
    mkdir -p "$dir/$pkg/main/default/objects/Obj${i}__c/fields" "$dir/$pkg/main/default/triggers"
    cat >"$dir/$pkg/main/default/objects/Obj${i}__c/fields/Next__c.field-meta.xml" <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<CustomField xmlns="http://soap.sforce.com/2006/04/metadata">
    <fullName>Next__c</fullName>
    <type>MasterDetail</type>
    <referenceTo>Obj${next}__c</referenceTo>
</CustomField>
EOF
    cat >"$dir/$pkg/main/default/triggers/Obj${i}Trigger.trigger" <<EOF
trigger Obj${i}Trigger on Obj${i}__c (after insert, after update) {
    update new Obj${next}__c(Id = Trigger.new[0].Next__c);
}
EOF
  done
}
synthetic "$projects/large" 200
synthetic "$projects/huge" 320

# ---- render -----------------------------------------------------------------------------------

cases=()     # name|project|object|search|click ids (comma-separated)
cases+=("acme|examples/acme-billing||invoice line|object:Invoice__c,apex-trigger:InvoiceLineTrigger")
cases+=("acme-invoice|examples/acme-billing|Invoice__c|Invoice__c|async-job:InvoiceJob,object:Account")
cases+=("hostile|$hostile||child|object:Child__c,apex-trigger:ChildTrigger")
cases+=("large|$projects/large||Obj7__c|object:Obj7__c,apex-trigger:Obj7Trigger")
cases+=("huge|$projects/huge||obj100|object:Obj100__c")
cases+=("huge-obj100|$projects/huge|Obj100__c|Obj100__c|apex-trigger:Obj100Trigger")
for org in "$@"; do
  dir=${org%:*}
  object=${org##*:}
  name=$(basename "$dir")
  cases+=("$name|$dir||$object|object:$object")
  cases+=("$name-$object|$dir|$object|$object|object:$object")
done

manifest_mermaid=()
manifest_html=()
json_string() { python3 -c 'import json,sys; print(json.dumps(sys.argv[1]))' "$1"; }

for entry in "${cases[@]}"; do
  IFS='|' read -r name project object search clicks <<<"$entry"
  args=(graph "$project")
  [ -n "$object" ] && args+=(--object "$object")
  for format in json dot mermaid html; do
    started=$(date +%s%N)
    if ! "$lockgen" "${args[@]}" --format "$format" --out "$out/$name.$format" 2>"$out/$name.$format.err"; then
      fail "$name: lockgen graph --format $format: $(cat "$out/$name.$format.err")"
      continue
    fi
    took=$((($(date +%s%N) - started) / 1000000))
    echo "  $name.$format: $(wc -c <"$out/$name.$format") bytes in ${took} ms"
  done
  # The same project gives the same bytes.
  "$lockgen" "${args[@]}" --format html | cmp -s - "$out/$name.html" || fail "$name: HTML differs between runs"

  # DOT with Graphviz.
  expected=$(python3 -c 'import json,sys; s=json.load(open(sys.argv[1]))["summary"]; print(s["objects"]+s["writers"])' "$out/$name.json")
  started=$(date +%s%N)
  if dot -Tsvg "$out/$name.dot" -o "$out/$name.svg" 2>"$out/$name.dot.err"; then
    took=$((($(date +%s%N) - started) / 1000000))
    [ -s "$out/$name.dot.err" ] && fail "$name: dot warned: $(head -3 "$out/$name.dot.err")"
    drawn=$(grep -c '<g id="node' "$out/$name.svg" || true)
    [ "$drawn" = "$expected" ] || fail "$name: dot drew $drawn nodes, $expected expected"
    echo "  $name.svg: $drawn nodes, $(wc -c <"$out/$name.svg") bytes, dot took ${took} ms"
  else
    fail "$name: dot -Tsvg failed: $(head -3 "$out/$name.dot.err")"
  fi

  manifest_mermaid+=("{\"name\": $(json_string "$name"), \"file\": $(json_string "$out/$name.mermaid"), \"json\": $(json_string "$out/$name.json")}")
  focus=${object:-}
  expect=$(python3 -c '
import json, re, sys
graph = json.load(open(sys.argv[1]))
wanted = re.sub("[^a-z0-9]", "", sys.argv[2].lower())
names = [o["name"] for o in graph["objects"]]
squash = lambda n: re.sub("[^a-z0-9]", "", n.lower())
exact = [n for n in names if n.lower() == sys.argv[2].strip().lower()]
same = [n for n in names if squash(n) in (wanted, wanted + "c")]
start = [n for n in names if squash(n).startswith(wanted)]
inside = [n for n in names if wanted in squash(n)]
print((exact or same or start or inside or [""])[0])' "$out/$name.json" "$search")
  click_json=$(python3 -c 'import json,sys; print(json.dumps([c for c in sys.argv[1].split(",") if c]))' "$clicks")
  manifest_html+=("{\"name\": $(json_string "$name"), \"file\": $(json_string "$out/$name.html"), \"json\": $(json_string "$out/$name.json"), \"search\": $(json_string "$search"), \"expect\": $(json_string "$expect"), \"click\": $click_json, \"screenshot\": $(json_string "$out/$name.png")}")
done

join() {
  local IFS=,
  echo "$*"
}
cat >"$out/manifest.json" <<EOF
{"chromium": "$CHROMIUM",
 "mermaid": [$(join "${manifest_mermaid[@]}")],
 "html": [$(join "${manifest_html[@]}")]}
EOF
node "$work/node/check.mjs" "$out/manifest.json" || failures=$((failures + 1))

if [ "$failures" -ne 0 ]; then
  echo "graph-renderers: $failures failure(s); outputs in $out" >&2
  exit 1
fi
echo "graph-renderers: every format rendered; outputs in $out"
