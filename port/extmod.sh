#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build out-of-tree modules against the test kernel (Kbuild's M=) and
# record one case for each in RESULTS/STAGE:
#   build DIR...  each DIR must build, without warnings;
#   fail FILE...  each FILE, made a module here, must fail to build with
#                 exactly the rustc error codes its "// expect: E0277 ..."
#                 line names, with the message of its "// expect-text: ..."
#                 line in the output.
#               A file "from-tree" in DIR names sources to copy from $TREE.
# Usage: port/extmod.sh MODE RESULTS STAGE EXTDIR -- KMAKE... -- SOURCES...
set -u
mode=$1 results=$2 stage=$3 ext=$(realpath -m "$4")
shift 5
kmake=()
while [ "$1" != -- ]; do kmake+=("$1"); shift; done
shift
mkdir -p "$results" "$ext"
pass=0 fail=0
for src in "$@"; do
	name=$(basename "${src%.rs}")
	dir=$ext/$name
	rm -rf "$dir"
	if [ "$mode" = build ]; then
		cp -r "$src" "$dir"
		# Sources that come from the kernel tree itself.
		for f in $(cat "$dir/from-tree" 2>/dev/null); do
			cp "$TREE/$f" "$dir/" || exit 1
		done
	else
		# The case, made a module.
		mkdir -p "$dir"
		cat "$src" - > "$dir/$name.rs" <<-EOF

			kernel::prelude::module! {
			    type: Case,
			    name: "$name",
			    license: "GPL",
			}

			struct Case;

			impl kernel::Module for Case {
			    fn init(_module: &'static kernel::ThisModule) -> kernel::error::Result<Self> {
			        Ok(Case)
			    }
			}
		EOF
		echo "obj-m := $name.o" > "$dir/Kbuild"
	fi
	"${kmake[@]}" -s M="$dir" modules > "$dir/build.log" 2>&1
	rc=$?
	if [ "$mode" = build ]; then
		if [ $rc = 0 ] && "$(dirname "$0")/check-build-log.sh" "$dir/build.log" >/dev/null 2>&1; then
			ok=1 why="builds"
		else
			ok=0 why="does not build cleanly"
		fi
	else
		want=$(sed -n 's,^// expect: ,,p' "$src" | tr ' ' '\n' | sort -u | xargs)
		got=$(grep -o '^error\[E[0-9]*\]' "$dir/build.log" | grep -o 'E[0-9]*' | sort -u | xargs)
		text=$(sed -n 's,^// expect-text: ,,p' "$src")
		if [ -z "$want" ] || [ -z "$text" ]; then
			ok=0 why="has no '// expect:' or '// expect-text:' line"
		elif [ $rc != 0 ] && [ "$got" = "$want" ] && grep -qF -- "$text" "$dir/build.log"; then
			ok=1 why="fails with $got"
		else
			ok=0 why="expected $want ($text), got ${got:-none} (exit $rc)"
		fi
	fi
	if [ $ok = 1 ]; then
		echo "ok - $stage: $name $why"
		pass=$((pass + 1))
	else
		echo "not ok - $stage: $name $why (log: $dir/build.log)"
		sed 's/^/    /' "$dir/build.log" | head -n 30
		fail=$((fail + 1))
	fi
done
printf 'passed %d\nfailed %d\n' $pass $fail > "$results/$stage"
[ $fail = 0 ]
