# Doxygen input filter for docs/*.md (FILTER_PATTERNS in docs/Doxyfile.in): the guides are
# written for GitHub, and Doxygen 1.9.4 does not make GitHub's heading anchors. So, outside
# code fences:
# - each heading below the title gets the label GitHub would give it, prefixed with the page
#   name so that labels stay unique across pages: "## Thread safety" in c-api.md is
#   "{#c-api-thread-safety}";
# - links to "#anchor" and "page.md#anchor" point at those labels, so Doxygen checks them
#   (a broken one is a warning, and the docs check fails on warnings);
# - links that leave docs/ ("../src/x.cpp") become text plus the repository path, since the
#   HTML output has no such file beside it.
# GitHub's slug: lower case, drop everything but letters, digits, spaces, '-' and '_', spaces
# to '-', "-1", "-2", ... for repeats. Non-ASCII bytes are dropped (GitHub keeps non-ASCII
# letters: do not link to headings that have them).

function slug(text,    s) {
    s = tolower(text)
    gsub(/[^a-z0-9 _-]/, "", s)
    gsub(/ /, "-", s)
    return s
}

function label(page, anchor) { return page "-" anchor }

BEGIN { fence = 0 }

FNR == 1 {
    page = FILENAME
    sub(/^.*\//, "", page)
    sub(/\.md$/, "", page)
    split("", seen)
    title_done = 0
}

/^[ ]*(```|~~~)/ { fence = !fence; print; next }
fence { print; next }

/^#+ / {
    if (!title_done && /^# /) { title_done = 1; print; next }
    title_done = 1
    text = $0
    sub(/^#+ +/, "", text)
    sub(/ +#* *$/, "", text)
    s = slug(text)
    n = seen[s]++
    if (n > 0) s = s "-" n
    print $0 " {#" label(page, s) "}"
    next
}

{
    out = ""
    line = $0
    while (match(line, /\]\([^) ]*\)/)) {
        target = substr(line, RSTART + 2, RLENGTH - 3)
        before = substr(line, 1, RSTART - 1)
        rest = substr(line, RSTART + RLENGTH)
        if (target ~ /^#/) {
            target = "#" label(page, substr(target, 2))
        } else if (target ~ /^[A-Za-z0-9_-]+\.md#/) {
            split(target, parts, /\.md#/)
            target = "#" label(parts[1], parts[2])
        } else if (target ~ /^\.\.\//) {
            # [text](../path): drop the link, keep "text (path)".
            start = 0
            for (i = length(before); i > 0; i--)
                if (substr(before, i, 1) == "[") { start = i; break }
            if (start > 0) {
                path = substr(target, 4)
                out = out substr(before, 1, start - 1) substr(before, start + 1) " (`" path "`)"
                line = rest
                continue
            }
        }
        out = out before "](" target ")"
        line = rest
    }
    print out line
}
