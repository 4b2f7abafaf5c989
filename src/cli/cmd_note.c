/* codecbench note RUN [TEXT]: notes on a run. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli/cli.h"
#include "cli/clistore.h"
#include "cli/jsonout.h"
#include "cli/table.h"

static void help(FILE *out)
{
    fputs("Usage: codecbench note RUN [TEXT] [--store DIR] [--json]\n"
          "\n"
          "With TEXT, appends a note to a run (UTF-8, 1 to 4096 bytes; quote it as\n"
          "one argument).  Without, lists the run's notes, oldest first, with the\n"
          "time each was written.  Notes are kept in the run directory too, so\n"
          "'reindex' keeps them.\n"
          "\n"
          "Options:\n"
          CLI_HELP_STORE
          "  --json       list the notes as JSON\n"
          "  -h, --help   this text\n",
          out);
}

static int run(int argc, char **argv)
{
    int64_t id;
    int json = 0;
    CliArgs a = {.json = &json, .min = 1, .max = 2,
                 .arity = "needs a RUN and at most one TEXT (quote it)", .run_id = &id};
    int code = cli_parse_args(&cb_cmd_note, argc, argv, &a);
    if (code != CB_EXIT_OK)
        return code;
    if (a.n == 2 && json)
        return cli_usage(&cb_cmd_note, "--json lists notes; it takes no TEXT");

    CbError err;
    cb_error_clear(&err);
    CbStore *s = NULL;
    CbNote *notes = NULL;
    size_t n = 0;
    code = CB_EXIT_FAIL;
    if (cli_store_open(a.store, a.n == 2 ? 0 : CB_STORE_READONLY, &s, &err) < 0) {
        cli_fail(&err);
        goto out;
    }
    if (a.n == 2) {
        if (cb_store_note(s, id, argv[a.first + 1], &err) < 0) {
            cli_fail(&err);
            goto out;
        }
        printf("run %lld: note added\n", (long long)id);
        code = CB_EXIT_OK;
        goto out;
    }
    if (cb_store_notes(s, id, &notes, &n, &err) < 0) {
        cli_fail(&err);
        goto out;
    }
    if (json) {
        json_t *arr = json_array();
        for (size_t i = 0; arr && i < n; i++)
            json_array_append_new(arr,
                                  json_pack("{s:o, s:o}", "created", cli_json_num(notes[i].created),
                                            "text", cli_json_str(notes[i].text)));
        json_t *doc = json_pack("{s:I, s:o}", "run", (json_int_t)id, "notes", arr);
        code = cli_json_print(doc);
        json_decref(doc);
        goto out;
    }
    if (n == 0)
        printf("run %lld has no notes\n", (long long)id);
    for (size_t i = 0; i < n; i++) {
        char when[32];
        cli_format_time(notes[i].created, when, sizeof when);
        printf("%s  ", when);
        cli_puts_sanitized(stdout, notes[i].text ? notes[i].text : "");
        fputc('\n', stdout);
    }
    code = CB_EXIT_OK;
out:
    cb_notes_free(&notes, n);
    cb_store_close(&s);
    return code;
}

const CbCommand cb_cmd_note = {
    .name = "note",
    .args = "RUN [TEXT] [--store DIR] [--json]",
    .summary = "add a note to a run, or list its notes",
    .run = run,
    .help = help,
};
