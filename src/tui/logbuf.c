/* codecbench dashboard: the log view's line buffer and the reader that
 * follows a run's files into it (no curses; see logbuf.h). */
#include "tui/logbuf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "codecbench/buf.h"
#include "codecbench/fsutil.h"
#include "codecbench/runner.h"
#include "codecbench/sanitize.h"

/* Text lives in blocks of this size; a line never straddles two, so a block
 * wastes at most one line's worth at its end (TUI_LOGBUF_LINE_MAX + marker
 * is 3% of a block). */
#define BLOCK_BYTES ((size_t)256 << 10)
/* Room for " [line cut: N bytes]". */
#define CUT_MARK_MAX 48
/* Raw bytes sanitised of a line: enough for TUI_LOGBUF_LINE_MAX bytes of
 * output (sanitising never shortens text) plus a UTF-8 sequence cut at the
 * end, whose replacement lands past the cut. */
#define RAW_KEEP (TUI_LOGBUF_LINE_MAX + 4)
/* Bytes read from a file per read() call. */
#define CHUNK_BYTES ((size_t)64 << 10)
/* Recent warnings and errors remembered per file to show a line that the
 * worker's logger wrote to both files once. */
#define DEDUP_KEYS 256

typedef struct Ent {
    uint64_t pos;   /* where the text starts in the arena's virtual stream */
    int64_t run_id;
    uint32_t len;
    uint8_t level;
} Ent;

struct TuiLogBuf {
    size_t max_lines;
    size_t max_blocks;
    char **blocks;  /* max_blocks slots; block k of the stream lives in slot k % max_blocks */
    Ent *ents;      /* ring of cap entries, the oldest at ents[head] */
    size_t cap, head, count;
    uint64_t first; /* number of the oldest line kept */
    uint64_t pos;   /* where the next text goes in the virtual stream */
    size_t n_err, n_warn;
    CbBuf scratch;  /* the sanitised line being added */
};

/* ---- the buffer ---------------------------------------------------------- */

int tui_logbuf_new(TuiLogBuf **out, size_t max_lines, size_t max_bytes, CbError *err)
{
    *out = NULL;
    if (max_lines < 16 || max_bytes < ((size_t)1 << 20))
        return cb_error_set(err, CB_EINVAL, "log buffer: %zu lines / %zu bytes is too small",
                            max_lines, max_bytes);
    TuiLogBuf *b = calloc(1, sizeof(*b));
    if (!b)
        goto nomem;
    b->max_lines = max_lines;
    b->max_blocks = max_bytes / BLOCK_BYTES;
    b->blocks = calloc(b->max_blocks, sizeof(*b->blocks));
    b->cap = max_lines < 1024 ? max_lines : 1024;
    b->ents = malloc(b->cap * sizeof(*b->ents));
    if (!b->blocks || !b->ents)
        goto nomem;
    cb_buf_init(&b->scratch, 4 * RAW_KEEP + 16);
    *out = b;
    return 0;
nomem:
    if (b) {
        free(b->blocks);
        free(b->ents);
        free(b);
    }
    return cb_error_set(err, CB_ENOMEM, "log buffer: out of memory");
}

void tui_logbuf_free(TuiLogBuf **pb)
{
    if (!pb || !*pb)
        return;
    TuiLogBuf *b = *pb;
    for (size_t i = 0; i < b->max_blocks; i++)
        free(b->blocks[i]);
    free(b->blocks);
    free(b->ents);
    cb_buf_free(&b->scratch);
    free(b);
    *pb = NULL;
}

void tui_logbuf_clear(TuiLogBuf *b)
{
    b->head = b->count = 0;
    b->first = 0;
    b->pos = 0;
    b->n_err = b->n_warn = 0;
}

static Ent *ent_at(const TuiLogBuf *b, size_t i)
{
    return &b->ents[(b->head + i) % b->cap];
}

static void drop_oldest(TuiLogBuf *b)
{
    const Ent *e = ent_at(b, 0);
    if (e->level == TUI_LOG_ERROR)
        b->n_err--;
    else if (e->level == TUI_LOG_WARN)
        b->n_warn--;
    b->head = (b->head + 1) % b->cap;
    b->count--;
    b->first++;
}

/* Doubles the ring of entries (up to max_lines), oldest first in the new one. */
static int grow_ents(TuiLogBuf *b)
{
    size_t cap = b->cap * 2 < b->max_lines ? b->cap * 2 : b->max_lines;
    Ent *e = malloc(cap * sizeof(*e));
    if (!e)
        return CB_ENOMEM;
    for (size_t i = 0; i < b->count; i++)
        e[i] = *ent_at(b, i);
    free(b->ents);
    b->ents = e;
    b->cap = cap;
    b->head = 0;
    return 0;
}

/* A place for need bytes in the arena (dropping the lines of the block it
 * reuses): the text's address and position. */
static char *reserve(TuiLogBuf *b, size_t need, uint64_t *pos)
{
    uint64_t p = b->pos;
    size_t off = (size_t)(p % BLOCK_BYTES);
    if (off + need > BLOCK_BYTES)
        p += BLOCK_BYTES - off;
    uint64_t blk = p / BLOCK_BYTES;
    while (b->count && ent_at(b, 0)->pos / BLOCK_BYTES + b->max_blocks <= blk)
        drop_oldest(b);
    size_t slot = (size_t)(blk % b->max_blocks);
    if (!b->blocks[slot] && !(b->blocks[slot] = malloc(BLOCK_BYTES)))
        return NULL;
    *pos = p;
    return b->blocks[slot] + p % BLOCK_BYTES;
}

int tui_logbuf_add(TuiLogBuf *b, int64_t run_id, TuiLogLevel level, const char *raw, size_t len,
                   size_t total_len)
{
    /* "a\rb" shows b on a terminal; a CRLF line ends its text at the CR. */
    while (len && raw[len - 1] == '\r')
        len--;
    for (size_t i = len; i > 0; i--)
        if (raw[i - 1] == '\r') {
            raw += i;
            len -= i;
            break;
        }
    size_t total = total_len > len ? total_len : len;
    cb_buf_reset(&b->scratch);
    if (cb_sanitize_append(&b->scratch, raw, len < RAW_KEEP ? len : RAW_KEEP, 0) < 0)
        return CB_ENOMEM;
    const char *text = b->scratch.data ? b->scratch.data : "";
    size_t n = b->scratch.len;
    int cut = total > len;
    if (n > TUI_LOGBUF_LINE_MAX) {
        n = TUI_LOGBUF_LINE_MAX;
        while (n && ((unsigned char)text[n] & 0xC0) == 0x80)
            n--;
        cut = 1;
    }
    char mark[CUT_MARK_MAX] = "";
    size_t mlen = 0;
    if (cut) {
        int w = snprintf(mark, sizeof(mark), " [line cut: %zu bytes]", total);
        mlen = w > 0 && (size_t)w < sizeof(mark) ? (size_t)w : 0;
    }
    if (level == TUI_LOG_AUTO)
        level = tui_logbuf_classify(text, n);
    if (b->count == b->max_lines)
        drop_oldest(b);
    else if (b->count == b->cap && grow_ents(b) < 0)
        return CB_ENOMEM;
    uint64_t pos;
    char *dst = reserve(b, n + mlen + 1, &pos);
    if (!dst)
        return CB_ENOMEM;
    memcpy(dst, text, n);
    memcpy(dst + n, mark, mlen);
    dst[n + mlen] = '\0';
    b->pos = pos + n + mlen + 1;
    Ent *e = &b->ents[(b->head + b->count) % b->cap];
    e->pos = pos;
    e->run_id = run_id;
    e->len = (uint32_t)(n + mlen);
    e->level = (uint8_t)level;
    b->count++;
    if (level == TUI_LOG_ERROR)
        b->n_err++;
    else if (level == TUI_LOG_WARN)
        b->n_warn++;
    return 0;
}

uint64_t tui_logbuf_first(const TuiLogBuf *b)
{
    return b->first;
}

uint64_t tui_logbuf_end(const TuiLogBuf *b)
{
    return b->first + b->count;
}

size_t tui_logbuf_count(const TuiLogBuf *b)
{
    return b->count;
}

size_t tui_logbuf_bytes(const TuiLogBuf *b)
{
    return b->count ? (size_t)(b->pos - ent_at(b, 0)->pos) : 0;
}

size_t tui_logbuf_errors(const TuiLogBuf *b)
{
    return b->n_err;
}

size_t tui_logbuf_warnings(const TuiLogBuf *b)
{
    return b->n_warn;
}

int tui_logbuf_get(const TuiLogBuf *b, uint64_t n, TuiLogLine *line)
{
    if (n < b->first || n - b->first >= b->count)
        return CB_ERANGE;
    const Ent *e = ent_at(b, (size_t)(n - b->first));
    line->text = b->blocks[(e->pos / BLOCK_BYTES) % b->max_blocks] + e->pos % BLOCK_BYTES;
    line->len = e->len;
    line->run_id = e->run_id;
    line->level = (TuiLogLevel)e->level;
    return 0;
}

/* ---- searching ------------------------------------------------------------- */

static unsigned char lower(unsigned char c)
{
    return c >= 'A' && c <= 'Z' ? (unsigned char)(c + ('a' - 'A')) : c;
}

long tui_log_find(const char *hay, size_t hay_len, size_t start, const char *needle,
                  size_t needle_len)
{
    if (!needle_len || hay_len < needle_len || start > hay_len - needle_len)
        return -1;
    const unsigned char *h = (const unsigned char *)hay;
    const unsigned char *nd = (const unsigned char *)needle;
    /* candidates come from memchr (vectorised) for the first byte in both cases */
    unsigned char lo = lower(nd[0]);
    unsigned char up = lo >= 'a' && lo <= 'z' ? (unsigned char)(lo - ('a' - 'A')) : lo;
    const unsigned char *end = h + (hay_len - needle_len) + 1; /* past the last start */
    const unsigned char *p = h + start, *next_lo = NULL, *next_up = NULL;
    while (p < end) {
        if (!next_lo || next_lo < p) {
            next_lo = memchr(p, lo, (size_t)(end - p));
            if (!next_lo)
                next_lo = end;
        }
        if (up == lo) {
            next_up = next_lo;
        } else if (!next_up || next_up < p) {
            next_up = memchr(p, up, (size_t)(end - p));
            if (!next_up)
                next_up = end;
        }
        const unsigned char *q = next_lo < next_up ? next_lo : next_up;
        if (q >= end)
            break;
        size_t k = 1;
        while (k < needle_len && lower(q[k]) == lower(nd[k]))
            k++;
        if (k == needle_len)
            return (long)(q - h);
        p = q + 1;
    }
    return -1;
}

/* The text of the line at index i (0: the oldest kept). */
static const char *text_at(const TuiLogBuf *b, size_t i)
{
    const Ent *e = ent_at(b, i);
    return b->blocks[(e->pos / BLOCK_BYTES) % b->max_blocks] + e->pos % BLOCK_BYTES;
}

static uint64_t block_of(const TuiLogBuf *b, size_t i)
{
    return ent_at(b, i)->pos / BLOCK_BYTES;
}

/* The index of the line holding byte position pos, among lines lo..hi (inclusive),
 * which hold it (positions grow with the index). */
static size_t line_at_pos(const TuiLogBuf *b, size_t lo, size_t hi, uint64_t pos)
{
    while (lo < hi) {
        size_t mid = lo + (hi - lo + 1) / 2;
        if (ent_at(b, mid)->pos <= pos)
            lo = mid;
        else
            hi = mid - 1;
    }
    return lo;
}

/* The last index in [i, hi) whose line is in the same block as line i (or, backward,
 * the first in [lo, i]). */
static size_t block_edge(const TuiLogBuf *b, size_t lo, size_t i, size_t hi, int backward)
{
    uint64_t blk = block_of(b, i);
    if (backward) {
        size_t a = lo, z = i; /* first index with blk in [a, z] */
        while (a < z) {
            size_t mid = a + (z - a) / 2;
            if (block_of(b, mid) < blk)
                a = mid + 1;
            else
                z = mid;
        }
        return a;
    }
    size_t a = i, z = hi - 1; /* last index with blk in [a, z] */
    while (a < z) {
        size_t mid = a + (z - a + 1) / 2;
        if (block_of(b, mid) > blk)
            z = mid - 1;
        else
            a = mid;
    }
    return a;
}

/* The first line in [lo, hi) holding needle (backward: the last), or -1.  Lines of
 * a block lie one after the other, each ended by its NUL (which no needle holds),
 * so each block's run of lines is scanned as one piece of text. */
static int64_t find_in_range(const TuiLogBuf *b, size_t lo, size_t hi, int backward,
                             const char *needle, size_t nl)
{
    if (lo >= hi)
        return -1;
    size_t i = backward ? hi - 1 : lo;
    for (;;) {
        size_t first = backward ? block_edge(b, lo, i, hi, 1) : i;
        size_t last = backward ? i : block_edge(b, lo, i, hi, 0);
        const char *text = text_at(b, first);
        uint64_t base = ent_at(b, first)->pos;
        size_t len = (size_t)(ent_at(b, last)->pos + ent_at(b, last)->len - base);
        long at = tui_log_find(text, len, 0, needle, nl);
        if (at >= 0) {
            if (backward) /* the last match of the piece */
                for (long more = at; more >= 0;
                     more = tui_log_find(text, len, (size_t)more + 1, needle, nl))
                    at = more;
            return (int64_t)line_at_pos(b, first, last, base + (uint64_t)at);
        }
        if (backward ? first == lo : last + 1 == hi)
            return -1;
        i = backward ? first - 1 : last + 1;
    }
}

int64_t tui_logbuf_search(const TuiLogBuf *b, uint64_t from, int backward, const char *needle,
                          int *wrapped)
{
    size_t nl = needle ? strlen(needle) : 0;
    if (wrapped)
        *wrapped = 0;
    if (!nl || !b->count)
        return -1;
    /* i0: from's index, -1 before the first line kept, count past the last */
    int64_t cnt = (int64_t)b->count;
    int64_t i0 = from < b->first ? -1 : (int64_t)(from - b->first);
    if (i0 > cnt)
        i0 = cnt;
    int wrap_all = 0;
    if (backward && i0 < 0)
        i0 = cnt, wrap_all = 1;
    else if (!backward && i0 >= cnt)
        i0 = -1, wrap_all = 1;
    /* the lines after i0 to the end, then from the start to i0 itself (backward: the
     * lines before i0 to the start, then from the end down to i0) */
    int64_t n;
    int wrap = wrap_all;
    if (backward) {
        n = find_in_range(b, 0, (size_t)i0, 1, needle, nl);
        if (n < 0 && i0 < cnt) {
            n = find_in_range(b, (size_t)i0, (size_t)cnt, 1, needle, nl);
            wrap = 1;
        }
    } else {
        n = find_in_range(b, (size_t)(i0 + 1), (size_t)cnt, 0, needle, nl);
        if (n < 0 && i0 >= 0) {
            n = find_in_range(b, 0, (size_t)i0 + 1, 0, needle, nl);
            wrap = 1;
        }
    }
    if (n < 0)
        return -1;
    if (wrapped)
        *wrapped = wrap;
    return (int64_t)b->first + n;
}

int64_t tui_logbuf_next_level(const TuiLogBuf *b, uint64_t from, int backward,
                              TuiLogLevel level)
{
    uint64_t end = b->first + b->count;
    if (backward) {
        if (from > end)
            from = end;
        for (uint64_t n = from; n > b->first; n--)
            if (ent_at(b, (size_t)(n - 1 - b->first))->level >= level)
                return (int64_t)(n - 1);
    } else {
        uint64_t n = from < b->first ? b->first : from + 1;
        for (; n < end; n++)
            if (ent_at(b, (size_t)(n - b->first))->level >= level)
                return (int64_t)n;
    }
    return -1;
}

/* ---- levels ----------------------------------------------------------------- */

typedef struct LevelWord {
    const char *word;
    TuiLogLevel level;
} LevelWord;

/* Level names that programs put in front of a line ("error:", "[warn]"). */
static const LevelWord prefix_words[] = {
    {"error", TUI_LOG_ERROR},   {"fatal", TUI_LOG_ERROR},   {"panic", TUI_LOG_ERROR},
    {"critical", TUI_LOG_ERROR}, {"crit", TUI_LOG_ERROR},   {"err", TUI_LOG_ERROR},
    {"warning", TUI_LOG_WARN},  {"warn", TUI_LOG_WARN},     {"debug", TUI_LOG_DEBUG},
    {"trace", TUI_LOG_DEBUG},   {"verbose", TUI_LOG_DEBUG}, {"info", TUI_LOG_INFO},
    {"notice", TUI_LOG_INFO},   {"note", TUI_LOG_INFO},
};

/* Words that make a line an error or a warning wherever they stand. */
static const LevelWord body_words[] = {
    {"error", TUI_LOG_ERROR},   {"failed", TUI_LOG_ERROR},  {"failure", TUI_LOG_ERROR},
    {"fatal", TUI_LOG_ERROR},   {"abort", TUI_LOG_ERROR},   {"aborted", TUI_LOG_ERROR},
    {"panic", TUI_LOG_ERROR},   {"segfault", TUI_LOG_ERROR}, {"warning", TUI_LOG_WARN},
    {"warn", TUI_LOG_WARN},     {"deprecated", TUI_LOG_WARN},
};

static int is_alpha(unsigned char c)
{
    c = lower(c);
    return c >= 'a' && c <= 'z';
}

/* s (n bytes) equals word, ignoring ASCII case. */
static int word_is(const char *s, size_t n, const char *word)
{
    size_t wl = strlen(word);
    if (n != wl)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (lower((unsigned char)s[i]) != (unsigned char)word[i])
            return 0;
    return 1;
}

static int starts_with(const char *s, size_t n, const char *pre)
{
    size_t pl = strlen(pre);
    return n >= pl && !memcmp(s, pre, pl);
}

/* The level named at the start of s ("error:", "[warning]", "<debug>",
 * "WARN "), or -2 when there is none. */
static int prefix_level(const char *s, size_t n)
{
    size_t i = 0;
    char close = 0;
    if (n && (s[0] == '[' || s[0] == '<' || s[0] == '(')) {
        close = s[0] == '[' ? ']' : s[0] == '<' ? '>' : ')';
        i = 1;
    }
    size_t w = i;
    while (w < n && is_alpha((unsigned char)s[w]))
        w++;
    if (w == i)
        return -2;
    /* the word must end the prefix: "error:", "[error]", "error " only when bracketed
     * or upper case ("ERROR something" is a prefix; "error something" is a sentence) */
    char after = w < n ? s[w] : '\0';
    int ok = close ? after == close : after == ':';
    if (!ok && !close && after == ' ') {
        ok = 1;
        for (size_t k = i; k < w; k++)
            if (s[k] >= 'a' && s[k] <= 'z')
                ok = 0;
    }
    if (!ok)
        return -2;
    for (size_t k = 0; k < sizeof(prefix_words) / sizeof(prefix_words[0]); k++)
        if (word_is(s + i, w - i, prefix_words[k].word))
            return prefix_words[k].level;
    return -2;
}

TuiLogLevel tui_logbuf_classify(const char *text, size_t len)
{
    const char *s = text;
    size_t n = len;
    while (n && *s == ' ')
        s++, n--;
    int prog = 0;
    static const char prog_prefix[] = "codecbench: ";
    if (starts_with(s, n, prog_prefix)) {
        s += sizeof(prog_prefix) - 1;
        n -= sizeof(prog_prefix) - 1;
        prog = 1;
    }
    int lv = prefix_level(s, n);
    if (lv != -2)
        return (TuiLogLevel)lv;
    if (prog)
        return TUI_LOG_ERROR;
    TuiLogLevel best = TUI_LOG_INFO;
    for (size_t i = 0; i < n;) {
        if (!is_alpha((unsigned char)s[i])) {
            i++;
            continue;
        }
        size_t j = i;
        while (j < n && is_alpha((unsigned char)s[j]))
            j++;
        for (size_t k = 0; k < sizeof(body_words) / sizeof(body_words[0]); k++)
            if (body_words[k].level > best && word_is(s + i, j - i, body_words[k].word))
                best = body_words[k].level;
        if (best == TUI_LOG_ERROR)
            break;
        i = j;
    }
    return best;
}

/* Skips "HH:MM:SS " at the start of an event's text. */
static size_t skip_clock(const char *s, size_t n)
{
    static const char pat[] = "00:00:00 ";
    if (n < sizeof(pat) - 1)
        return 0;
    for (size_t i = 0; i < sizeof(pat) - 1; i++) {
        int digit = s[i] >= '0' && s[i] <= '9';
        if (pat[i] == '0' ? !digit : s[i] != pat[i])
            return 0;
    }
    return sizeof(pat) - 1;
}

/* The level of an event in words (cb_event_text): "error in STAGE: ..." and
 * "error: ..." are errors, "warning: ..." warnings, "debug: ..." debug,
 * a damaged line a warning, the rest information. */
static TuiLogLevel event_level(const char *s, size_t n)
{
    size_t k = skip_clock(s, n);
    s += k;
    n -= k;
    if (starts_with(s, n, "error: ") || starts_with(s, n, "error in "))
        return TUI_LOG_ERROR;
    if (starts_with(s, n, "warning: ") || starts_with(s, n, "(not an event)"))
        return TUI_LOG_WARN;
    if (starts_with(s, n, "debug: "))
        return TUI_LOG_DEBUG;
    return TUI_LOG_INFO;
}

/* ---- following a run's files ----------------------------------------------- */

enum { FILE_EVENTS, FILE_LOG, FILE_COUNT };

typedef struct LogFile {
    const char *name;   /* for the lines this reader writes itself */
    char *path;
    int fd;             /* -1 until the file exists */
    dev_t dev;
    ino_t ino;
    int64_t off;        /* bytes of the file consumed */
    char *part;         /* the line read so far (its first TUI_LOG_RAW_MAX bytes) */
    size_t part_len;
    size_t part_total;  /* its length, counting bytes not kept */
    int skip_first;     /* started in the middle of a line: drop up to the next newline */
} LogFile;

struct TuiLogRun {
    int64_t id;
    char *dir;
    int ino, wd;
    LogFile files[FILE_COUNT];
    char *chunk;        /* CHUNK_BYTES */
    uint64_t seen[FILE_COUNT][DEDUP_KEYS]; /* keys of recent warnings and errors, 0: none */
    size_t seen_next[FILE_COUNT];
};

/* Watches the directory, not the files: they may not exist yet.  A directory
 * that cannot be watched (a queued run's does not exist yet; too many
 * watches) is read on the caller's timer, and watched once it can be. */
static void watch_dir(TuiLogRun *r)
{
    if (r->ino >= 0 && r->wd < 0)
        r->wd = inotify_add_watch(r->ino, r->dir, IN_MODIFY | IN_CREATE | IN_MOVED_TO);
}

int tui_logrun_open(TuiLogRun **out, const char *run_dir, int64_t run_id, int ino,
                    CbError *err)
{
    static const char *const names[FILE_COUNT] = {"events.jsonl", "log.txt"};
    TuiLogRun *r = calloc(1, sizeof(*r));
    *out = NULL;
    if (!r)
        return cb_error_set(err, CB_ENOMEM, "out of memory");
    r->id = run_id;
    r->ino = ino;
    r->wd = -1;
    r->chunk = malloc(CHUNK_BYTES);
    r->dir = strdup(run_dir);
    int ok = r->chunk && r->dir;
    for (int i = 0; i < FILE_COUNT; i++) {
        r->files[i].name = names[i];
        r->files[i].fd = -1;
        r->files[i].path = cb_path_join(run_dir, names[i]);
        r->files[i].part = malloc(TUI_LOG_RAW_MAX);
        ok = ok && r->files[i].path && r->files[i].part;
    }
    if (!ok) {
        tui_logrun_close(&r);
        return cb_error_set(err, CB_ENOMEM, "out of memory");
    }
    watch_dir(r);
    *out = r;
    return 0;
}

void tui_logrun_close(TuiLogRun **pr)
{
    if (!pr || !*pr)
        return;
    TuiLogRun *r = *pr;
    if (r->ino >= 0 && r->wd >= 0)
        inotify_rm_watch(r->ino, r->wd);
    for (int i = 0; i < FILE_COUNT; i++) {
        if (r->files[i].fd >= 0)
            close(r->files[i].fd);
        free(r->files[i].path);
        free(r->files[i].part);
    }
    free(r->chunk);
    free(r->dir);
    free(r);
    *pr = NULL;
}

int64_t tui_logrun_id(const TuiLogRun *r)
{
    return r->id;
}

/* 64-bit FNV-1a of the run id and the text; never 0. */
static uint64_t key_of(int64_t id, const char *s, size_t n)
{
    uint64_t h = 14695981039346656037ull;
    for (int i = 0; i < 8; i++)
        h = (h ^ (uint64_t)((id >> (8 * i)) & 0xff)) * 1099511628211ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
    return h | 1;
}

/* The message of a warning or error as both files write it: events give
 * "HH:MM:SS warning: M", "HH:MM:SS error: M" and "HH:MM:SS error in STAGE:
 * M"; log.txt (the command line's logger) "codecbench: warning: M" and
 * "codecbench: M".  Returns its key, or 0 for a line of neither kind. */
static uint64_t dedup_key(const TuiLogRun *r, int file, const char *s, size_t n)
{
    while (n && s[n - 1] == '\r')
        n--;
    if (file == FILE_LOG) {
        static const char prog[] = "codecbench: ", warn[] = "warning: ";
        if (!starts_with(s, n, prog))
            return 0;
        s += sizeof(prog) - 1, n -= sizeof(prog) - 1;
        if (starts_with(s, n, warn))
            s += sizeof(warn) - 1, n -= sizeof(warn) - 1;
        return key_of(r->id, s, n);
    }
    size_t k = skip_clock(s, n);
    s += k, n -= k;
    const char *pre[] = {"warning: ", "error: "};
    for (size_t i = 0; i < 2; i++)
        if (starts_with(s, n, pre[i]))
            return key_of(r->id, s + strlen(pre[i]), n - strlen(pre[i]));
    if (starts_with(s, n, "error in ")) {
        const char *colon = memchr(s, ':', n);
        if (colon && (size_t)(colon - s) + 2 <= n && colon[1] == ' ')
            return key_of(r->id, colon + 2, n - (size_t)(colon + 2 - s));
    }
    return 0;
}

/* Whether a line of file with key was already shown from the other file
 * (then forgets it there); else remembers it. */
static int seen_before(TuiLogRun *r, int file, uint64_t key)
{
    int other = file == FILE_LOG ? FILE_EVENTS : FILE_LOG;
    for (size_t i = 0; i < DEDUP_KEYS; i++)
        if (r->seen[other][i] == key) {
            r->seen[other][i] = 0;
            return 1;
        }
    r->seen[file][r->seen_next[file]] = key;
    r->seen_next[file] = (r->seen_next[file] + 1) % DEDUP_KEYS;
    return 0;
}

/* One complete line of a file. */
static int emit(TuiLogRun *r, int file, TuiLogBuf *b, const char *line, size_t len, size_t total)
{
    if (file == FILE_EVENTS) {
        char text[4096];
        if (!len)
            return 0;
        if (total > len || len > CB_EVENT_LINE_MAX) {
            int w = snprintf(text, sizeof(text), "(an events.jsonl line of %zu bytes was skipped)",
                             total > len ? total : len);
            return w > 0 ? tui_logbuf_add(b, r->id, TUI_LOG_WARN, text, (size_t)w, 0) : 0;
        }
        if (cb_event_text(line, len, text, sizeof(text)) == 1)
            return 0; /* progress: the runs view's column, not a log line */
        size_t tl = strlen(text);
        TuiLogLevel lv = event_level(text, tl);
        uint64_t key = lv >= TUI_LOG_WARN ? dedup_key(r, file, text, tl) : 0;
        if (key && seen_before(r, file, key))
            return 0;
        return tui_logbuf_add(b, r->id, lv, text, tl, 0);
    }
    uint64_t key = dedup_key(r, file, line, len);
    if (key && tui_logbuf_classify(line, len) >= TUI_LOG_WARN && seen_before(r, file, key))
        return 0;
    return tui_logbuf_add(b, r->id, TUI_LOG_AUTO, line, len, total);
}

/* A line of this reader's own, about a file. */
static int note(TuiLogRun *r, TuiLogBuf *b, TuiLogLevel lv, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int note(TuiLogRun *r, TuiLogBuf *b, TuiLogLevel lv, const char *fmt, ...)
{
    char text[512];
    va_list ap;
    va_start(ap, fmt);
    int w = vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    if (w < 0)
        return 0;
    return tui_logbuf_add(b, r->id, lv, text, strlen(text), 0);
}

static void reset_file(LogFile *f)
{
    if (f->fd >= 0)
        close(f->fd);
    f->fd = -1;
    f->off = 0;
    f->part_len = f->part_total = 0;
    f->skip_first = 0;
}

/* Opens the file when it exists, and notices truncation and replacement. 1
 * when there is a file to read, 0 when there is none yet. */
static int check_file(TuiLogRun *r, LogFile *f, TuiLogBuf *b, struct stat *st, CbError *err)
{
    if (f->fd >= 0) {
        struct stat now;
        if (stat(f->path, &now) == 0 && (now.st_ino != f->ino || now.st_dev != f->dev)) {
            reset_file(f);
            note(r, b, TUI_LOG_WARN, "(%s was replaced: reading the new file)", f->name);
        }
    }
    if (f->fd < 0) {
        f->fd = open(f->path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
        if (f->fd < 0) {
            if (errno == ENOENT)
                return 0;
            return cb_error_set(err, CB_EIO, "%s: %s", f->path, strerror(errno));
        }
    }
    if (fstat(f->fd, st) < 0)
        return cb_error_set(err, CB_EIO, "%s: %s", f->path, strerror(errno));
    if (!S_ISREG(st->st_mode)) /* a FIFO, a device, a folder: nothing a worker writes */
        return cb_error_set(err, CB_EIO, "%s: not a regular file", f->path);
    if (f->off == 0) {
        f->dev = st->st_dev;
        f->ino = st->st_ino;
    }
    if (st->st_size < f->off) {
        int64_t was = f->off;
        f->off = 0;
        f->part_len = f->part_total = 0;
        f->skip_first = 0;
        if (lseek(f->fd, 0, SEEK_SET) < 0)
            return cb_error_set(err, CB_EIO, "%s: %s", f->path, strerror(errno));
        note(r, b, TUI_LOG_WARN, "(%s shrank from %lld to %lld bytes: reading it from its start)",
             f->name, (long long)was, (long long)st->st_size);
    }
    if (st->st_size - f->off > TUI_LOG_TAIL_MAX) {
        int64_t to = st->st_size - TUI_LOG_TAIL_MAX;
        double mib = (double)(to - f->off) / (1 << 20);
        if (f->off == 0)
            note(r, b, TUI_LOG_INFO, "(the first %.1f MiB of %s are not shown: see %s)", mib,
                 f->name, f->path);
        else
            note(r, b, TUI_LOG_WARN, "(%.1f MiB of %s skipped to catch up: see %s)", mib, f->name,
                 f->path);
        char before = '\n';
        if (pread(f->fd, &before, 1, to - 1) != 1)
            before = 0;
        if (lseek(f->fd, to, SEEK_SET) < 0)
            return cb_error_set(err, CB_EIO, "%s: %s", f->path, strerror(errno));
        f->off = to;
        f->part_len = f->part_total = 0;
        f->skip_first = before != '\n';
    }
    return 1;
}

/* Splits n bytes just read into lines. */
static int take(TuiLogRun *r, int file, TuiLogBuf *b, const char *p, size_t n)
{
    LogFile *f = &r->files[file];
    while (n) {
        const char *nl = memchr(p, '\n', n);
        size_t seg = nl ? (size_t)(nl - p) : n;
        if (!f->skip_first) {
            size_t room = TUI_LOG_RAW_MAX - f->part_len;
            size_t keep = seg < room ? seg : room;
            memcpy(f->part + f->part_len, p, keep);
            f->part_len += keep;
            f->part_total += seg;
        }
        if (!nl)
            break;
        if (f->skip_first) {
            f->skip_first = 0;
        } else {
            int rc = emit(r, file, b, f->part, f->part_len, f->part_total);
            f->part_len = f->part_total = 0;
            if (rc < 0)
                return rc;
        }
        p += seg + 1;
        n -= seg + 1;
    }
    return 0;
}

/* Reads one file within budget; 1 when more waits. */
static int read_file(TuiLogRun *r, int file, TuiLogBuf *b, size_t budget, size_t *used,
                     CbError *err)
{
    LogFile *f = &r->files[file];
    struct stat st;
    int rc = check_file(r, f, b, &st, err);
    if (rc <= 0)
        return rc;
    while (*used < budget) {
        size_t want = budget - *used < CHUNK_BYTES ? budget - *used : CHUNK_BYTES;
        ssize_t got = read(f->fd, r->chunk, want);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0)
            return cb_error_set(err, CB_EIO, "%s: %s", f->path, strerror(errno));
        if (got == 0)
            break;
        f->off += got;
        *used += (size_t)got;
        if ((rc = take(r, file, b, r->chunk, (size_t)got)) < 0)
            return cb_error_set(err, rc, "log buffer: out of memory");
    }
    return f->off < st.st_size;
}

int tui_logrun_read(TuiLogRun *r, TuiLogBuf *b, size_t budget, size_t *used, CbError *err)
{
    size_t u = 0;
    int more = 0, failed = 0;
    watch_dir(r);
    /* a file that cannot be read does not keep the other from being read; the first
     * error is the one reported */
    for (int i = 0; i < FILE_COUNT; i++) {
        CbError e = {0};
        int rc = read_file(r, i, b, budget, &u, &e);
        more |= rc > 0;
        if (rc < 0 && !failed) {
            failed = rc;
            if (err)
                *err = e;
        }
    }
    if (used)
        *used = u;
    return failed ? failed : more;
}

int tui_logrun_flush(TuiLogRun *r, TuiLogBuf *b)
{
    int rc = 0;
    for (int i = 0; i < FILE_COUNT && rc == 0; i++) {
        LogFile *f = &r->files[i];
        if (f->part_len && !f->skip_first)
            rc = emit(r, i, b, f->part, f->part_len, f->part_total);
        f->part_len = f->part_total = 0;
    }
    return rc;
}
