/* codecbench: line diffs in unified format (include/codecbench/linediff.h).
 *
 * The output is meant to be the one `diff -U N` (GNU diffutils) prints, hunk
 * for hunk, so a user can check it with the tool they know and patch(1) can
 * apply it.  Minimal edit scripts are not unique, so matching diff means
 * making the same choices it makes, in the same order:
 *
 *  1. The identical ends are set aside first, at byte level, keeping
 *     `horizon` (= context) lines of each in the compared body; a last
 *     line without '\n' never matches a complete one, and when only one
 *     text lacks the final newline no suffix is set aside.
 *  2. Lines become equivalence classes (equal bytes, newline included).
 *  3. Lines of one text that occur nowhere in the other are discarded
 *     (they are changes anyway); lines that occur very often in the other
 *     are discarded only inside runs of such lines (the "confusing lines"
 *     rule), so they cannot pull the alignment around.
 *  4. Myers' O(ND) search for the middle snake (Myers 1986, section 4.2;
 *     linear space, divide and conquer), forward then backward by diagonal,
 *     giving up halfway between the best points after `too_expensive`
 *     edit steps on huge inputs (which also bounds the time).
 *  5. Runs of changes are slid over equal lines to merge with neighbours
 *     and, failing that, as far down as they go, then back up to line up
 *     with a change in the other text.
 *  6. Changes closer than 2 * context + 1 lines share a hunk.
 *
 * tests/unit/test_linediff.c checks the output against the diff program on
 * hand-made and random texts.
 */
#include "codecbench/linediff.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* One text split into lines.  The bytes are seen as diff sees them: when
 * the last line lacks its '\n', one is appended virtually (vlen = len + 1)
 * so every line ends in '\n', and the line's length excludes it. */
typedef struct Text {
    const unsigned char *p;
    size_t len;       /* real bytes */
    size_t vlen;      /* bytes with the virtual newline */
    int missing_nl;   /* the last line has no '\n' */
    ptrdiff_t nlines; /* lines */
    size_t *start;    /* nlines + 1 offsets; start[nlines] = vlen */
    /* The compared body: lines [pre, pre + n). */
    ptrdiff_t pre, n;
    ptrdiff_t *eq;      /* n classes (>= 1) of the body's lines */
    ptrdiff_t *undisc;  /* classes of the lines kept for the search */
    ptrdiff_t *realidx; /* body index of each kept line */
    ptrdiff_t nundisc;
    char *changed_mem; /* n + 2 flags; changed[-1] and changed[n] stay 0 */
    char *changed;
} Text;

typedef struct Change {
    ptrdiff_t line0, line1; /* first line (0-based) in each text */
    ptrdiff_t deleted, inserted;
} Change;

typedef struct Ctx {
    Text *t[2];
    ptrdiff_t *fd, *bd; /* diagonals, indexed from -(ny + 1) */
    ptrdiff_t too_expensive;
    ptrdiff_t edits; /* lines marked changed so far */
    int aborted;     /* edits passed CB_LINEDIFF_MAX_EDITS */
} Ctx;

typedef struct Partition {
    ptrdiff_t xmid, ymid;
    int lo_minimal, hi_minimal;
} Partition;

static unsigned char at(const Text *t, size_t i)
{
    return i < t->len ? t->p[i] : (unsigned char)'\n';
}

/* Bytes of line i without the virtual newline. */
static size_t line_len(const Text *t, ptrdiff_t i)
{
    size_t n = t->start[i + 1] - t->start[i];
    if (i == t->nlines - 1 && t->missing_nl)
        n--;
    return n;
}

static int line_equal(const Text *a, ptrdiff_t i, const Text *b, ptrdiff_t j)
{
    size_t n = line_len(a, i);
    return n == line_len(b, j) && memcmp(a->p + a->start[i], b->p + b->start[j], n) == 0;
}

static void text_free(Text *t)
{
    free(t->start);
    free(t->eq);
    free(t->undisc);
    free(t->realidx);
    free(t->changed_mem);
}

/* Counts and indexes the lines of t; CB_ELIMIT past the line limit. */
static int text_split(Text *t, const char *p, size_t len, const char *which, CbError *err)
{
    memset(t, 0, sizeof *t);
    t->p = (const unsigned char *)p;
    t->len = len;
    t->missing_nl = len > 0 && p[len - 1] != '\n';
    t->vlen = len + (size_t)t->missing_nl;
    size_t lines = (size_t)t->missing_nl;
    for (const char *q = p, *end = p + len; q < end;) {
        const char *nl = memchr(q, '\n', (size_t)(end - q));
        if (!nl)
            break;
        lines++;
        if (lines > CB_LINEDIFF_MAX_LINES)
            return cb_error_set(err, CB_ELIMIT, "line diff: the %s text has more than %d lines",
                                which, CB_LINEDIFF_MAX_LINES);
        q = nl + 1;
    }
    if (lines > CB_LINEDIFF_MAX_LINES)
        return cb_error_set(err, CB_ELIMIT, "line diff: the %s text has more than %d lines", which,
                            CB_LINEDIFF_MAX_LINES);
    t->nlines = (ptrdiff_t)lines;
    t->start = malloc((lines + 1) * sizeof *t->start);
    if (!t->start)
        return cb_error_set(err, CB_ENOMEM, "line diff: out of memory");
    size_t off = 0;
    for (size_t i = 0; i < lines; i++) {
        t->start[i] = off;
        const char *nl = memchr(p + off, '\n', len - off);
        off = nl ? (size_t)(nl - p) + 1 : t->vlen;
    }
    t->start[lines] = t->vlen;
    return CB_OK;
}

/* The line whose first byte is at offset off (off is a line start or vlen). */
static ptrdiff_t line_at(const Text *t, size_t off)
{
    ptrdiff_t lo = 0, hi = t->nlines;
    while (lo < hi) {
        ptrdiff_t mid = lo + (hi - lo) / 2;
        if (t->start[mid] < off)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Step 1: the identical ends, at byte level as diff finds them, each kept
 * `horizon` lines deep in the body (shift_boundaries may use them). */
static void find_body(Text *a, Text *b, ptrdiff_t horizon)
{
    size_t n0 = a->vlen, n1 = b->vlen;
    size_t m = n0 < n1 ? n0 : n1;
    size_t p0 = 0;
    while (p0 < m && at(a, p0) == at(b, p0))
        p0++;
    size_t p1 = p0;
    /* A virtual newline is not part of the prefix unless both have it. */
    if ((n0 - (size_t)a->missing_nl < p0) != (n1 - (size_t)b->missing_nl < p1))
        p0--, p1--;
    /* Back to the start of the line, then `horizon` lines more. */
    ptrdiff_t i = horizon;
    while (p0 != 0 && (at(a, p0 - 1) != '\n' || i-- != 0))
        p0--, p1--;
    size_t prefix_end = p0;

    size_t q0 = n0, q1 = n1;
    if (a->missing_nl == b->missing_nl) {
        size_t end0 = q0;
        size_t beg0 = prefix_end + (n0 < n1 ? 0 : n0 - n1);
        while (q0 != beg0) {
            q0--, q1--;
            if (at(a, q0) != at(b, q1)) {
                q0++, q1++;
                beg0 = q0;
                break;
            }
        }
        int both_at_bol = (q0 == 0 || at(a, q0 - 1) == '\n') && (q1 == 0 || at(b, q1 - 1) == '\n');
        ptrdiff_t k = horizon + !both_at_bol;
        while (k-- != 0 && q0 != end0)
            while (at(a, q0++) != '\n')
                ;
        q1 += q0 - beg0;
    }
    a->pre = line_at(a, prefix_end);
    b->pre = line_at(b, prefix_end);
    a->n = line_at(a, q0) - a->pre;
    b->n = line_at(b, q1) - b->pre;
}

static uint64_t line_hash(const Text *t, ptrdiff_t i)
{
    /* FNV-1a, 64 bits. */
    uint64_t h = 1469598103934665603u;
    const unsigned char *s = t->p + t->start[i];
    for (size_t k = 0, n = line_len(t, i); k < n; k++)
        h = (h ^ s[k]) * 1099511628211u;
    return h ^ (uint64_t)line_len(t, i);
}

/* Step 2: equivalence classes of the body lines, numbered from 1, shared
 * by both texts.  *nclasses gets one more than the largest class. */
static int classify(Text *a, Text *b, ptrdiff_t *nclasses, CbError *err)
{
    int rc = CB_ENOMEM;
    size_t total = (size_t)(a->n + b->n);
    size_t nb = 16;
    while (nb < 2 * total + 1)
        nb *= 2;
    /* Each bucket holds the class's representative: text (0/1) and line. */
    struct Rep {
        ptrdiff_t cls; /* 0: empty */
        int f;
        ptrdiff_t line;
        uint64_t h;
    } *tab = calloc(nb, sizeof *tab);
    a->eq = malloc(((size_t)a->n + 1) * sizeof *a->eq);
    b->eq = malloc(((size_t)b->n + 1) * sizeof *b->eq);
    if (!tab || !a->eq || !b->eq)
        goto fail;
    ptrdiff_t next = 1;
    Text *tx[2] = {a, b};
    for (int f = 0; f < 2; f++) {
        Text *t = tx[f];
        for (ptrdiff_t i = 0; i < t->n; i++) {
            ptrdiff_t li = t->pre + i;
            uint64_t h = line_hash(t, li);
            size_t s = (size_t)h & (nb - 1);
            for (;;) {
                if (tab[s].cls == 0) {
                    tab[s].cls = next++;
                    tab[s].f = f;
                    tab[s].line = li;
                    tab[s].h = h;
                    break;
                }
                if (tab[s].h == h && line_equal(tx[tab[s].f], tab[s].line, t, li))
                    break;
                s = (s + 1) & (nb - 1);
            }
            t->eq[i] = tab[s].cls;
        }
    }
    *nclasses = next;
    rc = CB_OK;
fail:
    free(tab);
    if (rc < 0)
        cb_error_set(err, rc, "line diff: out of memory");
    return rc;
}

static void note_change(Ctx *c, Text *t, ptrdiff_t body_index)
{
    if (!t->changed[body_index]) {
        t->changed[body_index] = 1;
        if (++c->edits > CB_LINEDIFF_MAX_EDITS)
            c->aborted = 1;
    }
}

/* Step 3: discards lines that cannot match or would confuse the search. */
static int discard_confusing(Ctx *c, ptrdiff_t nclasses, CbError *err)
{
    int rc = CB_ENOMEM;
    ptrdiff_t *count[2] = {NULL, NULL};
    char *disc[2] = {NULL, NULL};
    for (int f = 0; f < 2; f++) {
        Text *t = c->t[f];
        count[f] = calloc((size_t)nclasses, sizeof *count[f]);
        disc[f] = calloc((size_t)t->n + 1, 1);
        t->undisc = malloc(((size_t)t->n + 1) * sizeof *t->undisc);
        t->realidx = malloc(((size_t)t->n + 1) * sizeof *t->realidx);
        if (!count[f] || !disc[f] || !t->undisc || !t->realidx)
            goto fail;
        for (ptrdiff_t i = 0; i < t->n; i++)
            count[f][t->eq[i]]++;
    }
    for (int f = 0; f < 2; f++) {
        Text *t = c->t[f];
        const ptrdiff_t *other = count[1 - f];
        /* "Many" grows as about the square root of the line count. */
        ptrdiff_t many = 5;
        for (ptrdiff_t tem = t->n / 64; (tem >>= 2) > 0;)
            many *= 2;
        for (ptrdiff_t i = 0; i < t->n; i++) {
            ptrdiff_t nmatch = other[t->eq[i]];
            if (nmatch == 0)
                disc[f][i] = 1;
            else if (nmatch > many)
                disc[f][i] = 2;
        }
    }
    /* Provisional discards (2) stand only inside runs of discards that start
     * and end with a sure one, and only where they are a minority. */
    for (int f = 0; f < 2; f++) {
        ptrdiff_t end = c->t[f]->n;
        char *d = disc[f];
        for (ptrdiff_t i = 0; i < end; i++) {
            if (d[i] == 2) {
                d[i] = 0;
                continue;
            }
            if (d[i] == 0)
                continue;
            ptrdiff_t j, provisional = 0;
            for (j = i; j < end && d[j] != 0; j++)
                if (d[j] == 2)
                    provisional++;
            while (j > i && d[j - 1] == 2)
                d[--j] = 0, provisional--;
            ptrdiff_t length = j - i;
            if (provisional * 4 > length) {
                while (j > i)
                    if (d[--j] == 2)
                        d[j] = 0;
                continue;
            }
            /* Subruns of `minimum` or more provisionals are cancelled;
             * minimum is about the square root of length / 4. */
            ptrdiff_t minimum = 1, consec;
            for (ptrdiff_t tem = length >> 2; (tem >>= 2) > 0;)
                minimum <<= 1;
            minimum++;
            for (j = 0, consec = 0; j < length; j++) {
                if (d[i + j] != 2)
                    consec = 0;
                else if (minimum == ++consec)
                    j -= consec; /* back to the subrun's start to cancel it */
                else if (minimum < consec)
                    d[i + j] = 0;
            }
            /* From each end, provisionals are cancelled until three sure
             * discards in a row, or a sure one at least 8 lines in. */
            for (j = 0, consec = 0; j < length; j++) {
                if (j >= 8 && d[i + j] == 1)
                    break;
                if (d[i + j] == 2)
                    consec = 0, d[i + j] = 0;
                else if (d[i + j] == 0)
                    consec = 0;
                else
                    consec++;
                if (consec == 3)
                    break;
            }
            i += length - 1;
            for (j = 0, consec = 0; j < length; j++) {
                if (j >= 8 && d[i - j] == 1)
                    break;
                if (d[i - j] == 2)
                    consec = 0, d[i - j] = 0;
                else if (d[i - j] == 0)
                    consec = 0;
                else
                    consec++;
                if (consec == 3)
                    break;
            }
        }
    }
    for (int f = 0; f < 2; f++) {
        Text *t = c->t[f];
        ptrdiff_t j = 0;
        for (ptrdiff_t i = 0; i < t->n; i++) {
            if (disc[f][i] == 0) {
                t->undisc[j] = t->eq[i];
                t->realidx[j++] = i;
            } else {
                note_change(c, t, i);
            }
        }
        t->nundisc = j;
    }
    rc = CB_OK;
fail:
    for (int f = 0; f < 2; f++) {
        free(count[f]);
        free(disc[f]);
    }
    if (rc < 0)
        cb_error_set(err, rc, "line diff: out of memory");
    return rc;
}

/* Step 4: the middle snake of x[xoff, xlim) and y[yoff, ylim), whose first
 * and last elements differ.  With find_minimal 0, gives up after
 * too_expensive steps at the furthest-reaching points found so far. */
static void diag(Ctx *c, ptrdiff_t xoff, ptrdiff_t xlim, ptrdiff_t yoff, ptrdiff_t ylim,
                 int find_minimal, Partition *part)
{
    ptrdiff_t *const fd = c->fd, *const bd = c->bd;
    const ptrdiff_t *const xv = c->t[0]->undisc, *const yv = c->t[1]->undisc;
    const ptrdiff_t dmin = xoff - ylim, dmax = xlim - yoff;
    const ptrdiff_t fmid = xoff - yoff, bmid = xlim - ylim;
    ptrdiff_t fmin = fmid, fmax = fmid, bmin = bmid, bmax = bmid;
    const int odd = (fmid - bmid) & 1;

    fd[fmid] = xoff;
    bd[bmid] = xlim;
    for (ptrdiff_t cost = 1;; cost++) {
        ptrdiff_t d;
        if (fmin > dmin)
            fd[--fmin - 1] = -1;
        else
            ++fmin;
        if (fmax < dmax)
            fd[++fmax + 1] = -1;
        else
            --fmax;
        for (d = fmax; d >= fmin; d -= 2) {
            ptrdiff_t tlo = fd[d - 1], thi = fd[d + 1];
            ptrdiff_t x = tlo < thi ? thi : tlo + 1, y;
            for (y = x - d; x < xlim && y < ylim && xv[x] == yv[y]; x++, y++)
                ;
            fd[d] = x;
            if (odd && bmin <= d && d <= bmax && bd[d] <= x) {
                part->xmid = x;
                part->ymid = y;
                part->lo_minimal = part->hi_minimal = 1;
                return;
            }
        }
        if (bmin > dmin)
            bd[--bmin - 1] = PTRDIFF_MAX;
        else
            ++bmin;
        if (bmax < dmax)
            bd[++bmax + 1] = PTRDIFF_MAX;
        else
            --bmax;
        for (d = bmax; d >= bmin; d -= 2) {
            ptrdiff_t tlo = bd[d - 1], thi = bd[d + 1];
            ptrdiff_t x = tlo < thi ? tlo : thi - 1, y;
            for (y = x - d; xoff < x && yoff < y && xv[x - 1] == yv[y - 1]; x--, y--)
                ;
            bd[d] = x;
            if (!odd && fmin <= d && d <= fmax && x <= fd[d]) {
                part->xmid = x;
                part->ymid = y;
                part->lo_minimal = part->hi_minimal = 1;
                return;
            }
        }
        if (find_minimal || cost < c->too_expensive)
            continue;
        /* Too expensive: the forward point furthest along x + y, or the
         * backward one, whichever went further. */
        ptrdiff_t fxybest = -1, fxbest = 0, bxybest = PTRDIFF_MAX, bxbest = 0;
        for (d = fmax; d >= fmin; d -= 2) {
            ptrdiff_t x = fd[d] < xlim ? fd[d] : xlim, y = x - d;
            if (ylim < y)
                x = ylim + d, y = ylim;
            if (fxybest < x + y)
                fxybest = x + y, fxbest = x;
        }
        for (d = bmax; d >= bmin; d -= 2) {
            ptrdiff_t x = bd[d] > xoff ? bd[d] : xoff, y = x - d;
            if (y < yoff)
                x = yoff + d, y = yoff;
            if (x + y < bxybest)
                bxybest = x + y, bxbest = x;
        }
        if ((xlim + ylim) - bxybest < fxybest - (xoff + yoff)) {
            part->xmid = fxbest;
            part->ymid = fxybest - fxbest;
            part->lo_minimal = 1;
            part->hi_minimal = 0;
        } else {
            part->xmid = bxbest;
            part->ymid = bxybest - bxbest;
            part->lo_minimal = 0;
            part->hi_minimal = 1;
        }
        return;
    }
}

/* Marks the changes between x[xoff, xlim) and y[yoff, ylim).  Recurses on
 * the lower part and loops on the upper one. */
static void compareseq(Ctx *c, ptrdiff_t xoff, ptrdiff_t xlim, ptrdiff_t yoff, ptrdiff_t ylim,
                       int find_minimal)
{
    Text *tx = c->t[0], *ty = c->t[1];
    const ptrdiff_t *xv = tx->undisc, *yv = ty->undisc;
    for (;;) {
        while (xoff < xlim && yoff < ylim && xv[xoff] == yv[yoff])
            xoff++, yoff++;
        while (xoff < xlim && yoff < ylim && xv[xlim - 1] == yv[ylim - 1])
            xlim--, ylim--;
        if (xoff == xlim) {
            for (; yoff < ylim && !c->aborted; yoff++)
                note_change(c, ty, ty->realidx[yoff]);
            return;
        }
        if (yoff == ylim) {
            for (; xoff < xlim && !c->aborted; xoff++)
                note_change(c, tx, tx->realidx[xoff]);
            return;
        }
        Partition part;
        diag(c, xoff, xlim, yoff, ylim, find_minimal, &part);
        compareseq(c, xoff, part.xmid, yoff, part.ymid, part.lo_minimal);
        if (c->aborted)
            return;
        xoff = part.xmid;
        yoff = part.ymid;
        find_minimal = part.hi_minimal;
    }
}

/* Step 5: slides runs of changes over equal lines (see the file comment). */
static void shift_boundaries(Ctx *c)
{
    for (int f = 0; f < 2; f++) {
        char *changed = c->t[f]->changed;
        const char *other = c->t[1 - f]->changed;
        const ptrdiff_t *eq = c->t[f]->eq;
        ptrdiff_t i = 0, j = 0, i_end = c->t[f]->n;
        for (;;) {
            ptrdiff_t runlength, start, corresponding;
            while (i < i_end && !changed[i]) {
                while (other[j++])
                    ;
                i++;
            }
            if (i == i_end)
                break;
            start = i;
            while (changed[++i])
                ;
            while (other[j])
                j++;
            do {
                runlength = i - start;
                /* Back, while the line before equals the run's last. */
                while (start && eq[start - 1] == eq[i - 1]) {
                    changed[--start] = 1;
                    changed[--i] = 0;
                    while (changed[start - 1])
                        start--;
                    while (other[--j])
                        ;
                }
                corresponding = other[j - 1] ? i : i_end;
                /* Forward, while the run's first equals the line after. */
                while (i != i_end && eq[start] == eq[i]) {
                    changed[start++] = 0;
                    changed[i++] = 1;
                    while (changed[i])
                        i++;
                    while (other[++j])
                        corresponding = i;
                }
            } while (runlength != i - start);
            /* Back to line up with a change in the other text. */
            while (corresponding < i) {
                changed[--start] = 1;
                changed[--i] = 0;
                while (other[--j])
                    ;
            }
        }
    }
}

/* Appends one line with its prefix character, and diff's marker after a
 * last line without newline. */
static int put_line(CbBuf *out, char tag, const Text *t, ptrdiff_t i)
{
    int rc = cb_buf_append(out, &tag, 1);
    size_t n = line_len(t, i);
    if (rc == 0)
        rc = cb_buf_append(out, t->p + t->start[i], n);
    if (rc == 0 && i == t->nlines - 1 && t->missing_nl)
        rc = cb_buf_puts(out, "\n\\ No newline at end of file\n");
    return rc;
}

/* "l,s" as diff prints a hunk's range (lines a..b, 0-based, inclusive;
 * b = a - 1 for none: then the line before, ",0"). */
static int put_range(CbBuf *out, ptrdiff_t a, ptrdiff_t b)
{
    long long ta = (long long)a + 1, tb = (long long)b + 1;
    if (tb <= ta)
        return tb < ta ? cb_buf_printf(out, "%lld,0", tb) : cb_buf_printf(out, "%lld", tb);
    return cb_buf_printf(out, "%lld,%lld", ta, tb - ta + 1);
}

/* Step 6: the hunks of the changes ch[0..nch). */
static int print_hunks(const Change *ch, size_t nch, const Text *a, const Text *b,
                       long long context, CbBuf *out, int *hunks)
{
    int rc = CB_OK;
    *hunks = 0;
    for (size_t h = 0; h < nch;) {
        size_t last = h;
        while (last + 1 < nch && (long long)(ch[last + 1].line0 -
                                             (ch[last].line0 + ch[last].deleted)) < 2 * context + 1)
            last++;
        (*hunks)++;
        if (out) {
            long long first0 = ch[h].line0 - context, first1 = ch[h].line1 - context;
            long long last0 = ch[last].line0 + ch[last].deleted - 1 + context;
            long long last1 = ch[last].line1 + ch[last].inserted - 1 + context;
            if (first0 < 0)
                first0 = 0;
            if (first1 < 0)
                first1 = 0;
            if (last0 > a->nlines - 1)
                last0 = a->nlines - 1;
            if (last1 > b->nlines - 1)
                last1 = b->nlines - 1;
            rc = cb_buf_puts(out, "@@ -");
            if (rc == 0)
                rc = put_range(out, (ptrdiff_t)first0, (ptrdiff_t)last0);
            if (rc == 0)
                rc = cb_buf_puts(out, " +");
            if (rc == 0)
                rc = put_range(out, (ptrdiff_t)first1, (ptrdiff_t)last1);
            if (rc == 0)
                rc = cb_buf_puts(out, " @@\n");
            ptrdiff_t i = (ptrdiff_t)first0, j = (ptrdiff_t)first1;
            size_t k = h;
            while (rc == 0 && (i <= last0 || j <= last1)) {
                if (k > last || i < ch[k].line0) {
                    rc = put_line(out, ' ', a, i);
                    i++, j++;
                    continue;
                }
                for (ptrdiff_t d = 0; rc == 0 && d < ch[k].deleted; d++)
                    rc = put_line(out, '-', a, i++);
                for (ptrdiff_t d = 0; rc == 0 && d < ch[k].inserted; d++)
                    rc = put_line(out, '+', b, j++);
                k++;
            }
            if (rc < 0)
                return rc;
        }
        h = last + 1;
    }
    return rc;
}

int cb_line_diff(const char *a, size_t alen, const char *b, size_t blen, int context, CbBuf *out,
                 CbLineDiffStat *st, CbError *err)
{
    Text ta, tb;
    Ctx c;
    Change *ch = NULL;
    ptrdiff_t *diag_mem = NULL;
    int rc;

    memset(&ta, 0, sizeof ta);
    memset(&tb, 0, sizeof tb);
    memset(&c, 0, sizeof c);
    if (st)
        memset(st, 0, sizeof *st);
    if (context < 0 || (!a && alen) || (!b && blen)) {
        rc = cb_error_set(err, CB_EINVAL, "line diff: invalid arguments (context %d)", context);
        goto fail;
    }
    rc = text_split(&ta, a ? a : "", alen, "first", err);
    if (rc == 0)
        rc = text_split(&tb, b ? b : "", blen, "second", err);
    if (rc < 0)
        goto fail;
    if (alen == blen && (alen == 0 || memcmp(a, b, alen) == 0))
        goto done;

    c.t[0] = &ta;
    c.t[1] = &tb;
    /* diff keeps at least `context` lines of the identical ends. */
    ptrdiff_t horizon = context;
    if (horizon > ta.nlines + tb.nlines)
        horizon = ta.nlines + tb.nlines;
    find_body(&ta, &tb, horizon);
    ptrdiff_t nclasses = 0;
    rc = classify(&ta, &tb, &nclasses, err);
    if (rc < 0)
        goto fail;
    for (int f = 0; f < 2; f++) {
        Text *t = c.t[f];
        t->changed_mem = calloc((size_t)t->n + 2, 1);
        if (!t->changed_mem) {
            rc = cb_error_set(err, CB_ENOMEM, "line diff: out of memory");
            goto fail;
        }
        t->changed = t->changed_mem + 1;
    }
    rc = discard_confusing(&c, nclasses, err);
    if (rc < 0)
        goto fail;

    /* Diagonals run from -(ny + 1) to nx + 1. */
    ptrdiff_t diags = ta.nundisc + tb.nundisc + 3;
    diag_mem = malloc(2 * (size_t)diags * sizeof *diag_mem);
    if (!diag_mem) {
        rc = cb_error_set(err, CB_ENOMEM, "line diff: out of memory");
        goto fail;
    }
    c.fd = diag_mem + tb.nundisc + 1;
    c.bd = diag_mem + diags + tb.nundisc + 1;
    /* About the square root of the input size, at least 4096 (diffutils'
     * bound, so huge inputs cost O(N^1.5) and match diff's output). */
    c.too_expensive = 1;
    for (ptrdiff_t k = diags; k != 0; k >>= 2)
        c.too_expensive <<= 1;
    if (c.too_expensive < 4096)
        c.too_expensive = 4096;
    if (!c.aborted)
        compareseq(&c, 0, ta.nundisc, 0, tb.nundisc, 0);
    if (c.aborted) {
        rc = cb_error_set(err, CB_ELIMIT, "line diff: the texts differ in more than %d lines",
                          CB_LINEDIFF_MAX_EDITS);
        goto fail;
    }
    shift_boundaries(&c);

    /* The edit script, in order, in whole-text line numbers. */
    size_t nch = 0, cap = 0;
    for (ptrdiff_t i0 = 0, i1 = 0; i0 < ta.n || i1 < tb.n; i0++, i1++) {
        if (!ta.changed[i0] && !tb.changed[i1])
            continue;
        Change x = {ta.pre + i0, tb.pre + i1, 0, 0};
        while (ta.changed[i0])
            i0++, x.deleted++;
        while (tb.changed[i1])
            i1++, x.inserted++;
        if (nch == cap) {
            size_t ncap = cap ? cap * 2 : 16;
            Change *nc = realloc(ch, ncap * sizeof *nc);
            if (!nc) {
                rc = cb_error_set(err, CB_ENOMEM, "line diff: out of memory");
                goto fail;
            }
            ch = nc;
            cap = ncap;
        }
        ch[nch++] = x;
        if (st) {
            st->removed += (int)x.deleted;
            st->added += (int)x.inserted;
        }
    }
    int hunks = 0;
    rc = print_hunks(ch, nch, &ta, &tb, context, out, &hunks);
    if (rc < 0) {
        cb_error_set(err, rc, "line diff: %s",
                     rc == CB_ELIMIT ? "the diff is larger than its buffer" : cb_strerror(rc));
        goto fail;
    }
    if (st)
        st->hunks = hunks;
done:
    rc = CB_OK;
fail:
    if (rc < 0 && st)
        memset(st, 0, sizeof *st);
    free(diag_mem);
    free(ch);
    text_free(&ta);
    text_free(&tb);
    return rc;
}
