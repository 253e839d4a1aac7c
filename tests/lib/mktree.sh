# SPDX-License-Identifier: MIT
# Test fixture: mktree DIR [forward|reverse] makes the same tree of edge cases either way
# (names over 100 and 255 bytes, non-ASCII and mixed-case names, long link targets,
# hardlinks, empty dirs and files, a multi-MiB file), in a different creation order.
# Set MKTREE_NS=1 to give mtimes a nanosecond part. Source it; needs bash.

mktree() {
    local root=$1 order=${2:-forward}
    local long100 long250 deep target150 i
    long100=$(printf 'L%.0s' $(seq 1 120))
    long250=$(printf 'N%.0s' $(seq 1 250))
    deep=$(printf 'd%.0s' $(seq 1 60))/$(printf 'e%.0s' $(seq 1 60))/$(printf 'f%.0s' $(seq 1 60))/$(printf 'g%.0s' $(seq 1 60))/$(printf 'h%.0s' $(seq 1 60))
    target150=../$(printf 't%.0s' $(seq 1 150))

    # path|kind|content  (kind: f file, x executable, d dir, l symlink)
    local -a items=(
        "bin/app|x|#!/bin/sh\necho app\n"
        "etc/conf|f|key=value\n"
        "etc/empty|f|"
        "empty-dir|d|"
        "a/b/c/d/leaf|f|leaf\n"
        "sub/x|f|x\n"
        "sub-a/y|f|y\n"
        "sub.b/z|f|z\n"
        "Upper/File|f|U\n"
        "lower/file|f|l\n"
        "İstanbul/ıi|f|turkish\n"
        "café/naïve.txt|f|accents\n"
        "日本語/ファイル|f|japanese\n"
        "with space/a b|f|space\n"
        "long/$long100|f|long name\n"
        "long/$long250.txt|f|longer name\n"
        "$deep/deep.txt|f|deep path\n"
        "links/short|l|../bin/app"
        "links/long|l|$target150"
        "links/abs|l|/etc/passwd"
        "links/dangling|l|nowhere"
        "data/seq.txt|big|"
    )
    if [ "$order" = reverse ]; then
        local -a rev=()
        for ((i = ${#items[@]} - 1; i >= 0; i--)); do rev+=("${items[i]}"); done
        items=("${rev[@]}")
    fi
    mkdir -p "$root"
    local it path kind content
    for it in "${items[@]}"; do
        path=${it%%|*}; it=${it#*|}; kind=${it%%|*}; content=${it#*|}
        case $kind in
            d) mkdir -p "$root/$path" ;;
            l) mkdir -p "$(dirname "$root/$path")"; ln -s "$content" "$root/$path" ;;
            big) mkdir -p "$(dirname "$root/$path")"; seq 1 500000 > "$root/$path" ;;
            *) mkdir -p "$(dirname "$root/$path")"; printf "$content" > "$root/$path"
               # modes follow the umask, as in a real checkout
               if [ "$kind" = x ]; then chmod +x "$root/$path"; fi ;;
        esac
    done
    # Hardlinks: three names for one file, and one across directories.
    mkdir -p "$root/hl"
    printf 'shared\n' > "$root/hl/one"
    if [ "$order" = reverse ]; then
        ln "$root/hl/one" "$root/hl/three"; ln "$root/hl/one" "$root/hl/two"
    else
        ln "$root/hl/one" "$root/hl/two"; ln "$root/hl/one" "$root/hl/three"
    fi
    ln "$root/etc/conf" "$root/etc/conf-hard"

    # Mtimes: before the tests' SOURCE_DATE_EPOCH (1700000000), one after it.
    local ns=""
    [ "${MKTREE_NS:-0}" = 1 ] && ns=.$(printf '%09d' $((RANDOM * 30000 + RANDOM)))
    find "$root" -exec touch -h -d "@1600000000$ns" {} +
    touch -d "@1800000000$ns" "$root/etc/conf"
}
