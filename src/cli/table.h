/* codecbench: aligned text tables for the CLI (one formatter for every
 * command that prints rows).
 *
 * Columns are sized to their content; numbers are right-aligned, text
 * left-aligned.  Every cell passes through the terminal-text sanitiser when
 * it is added, so a recipe name, path, note or reason from data cannot
 * drive the terminal and widths are those of what is shown.  Widths count
 * UTF-8 code points (the sanitiser leaves only printable text).
 */
#ifndef CODECBENCH_CLI_TABLE_H
#define CODECBENCH_CLI_TABLE_H

#include <stddef.h>
#include <stdio.h>

typedef enum CliAlign { CLI_LEFT = 0, CLI_RIGHT = 1 } CliAlign;

typedef struct CliTable CliTable;

/* A table of n_cols columns; NULL when out of memory.  Free with
 * cli_table_free. */
CliTable *cli_table_new(size_t n_cols);
void cli_table_free(CliTable **t);
/* Names column col and sets its alignment; titles are printed as the first
 * line, underlined by dashes. */
void cli_table_column(CliTable *t, size_t col, const char *title, CliAlign align);
/* Appends a cell to the current row (a new row starts after cli_table_end_row
 * or when the row is full).  text is copied (sanitised); NULL prints "-". */
void cli_table_add(CliTable *t, const char *text);
/* printf-style cell (the result is sanitised too). */
void cli_table_addf(CliTable *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A number with fixed decimals; "-" when v is not finite.  With sign != 0
 * a positive value gets a '+'. */
void cli_table_num(CliTable *t, double v, int decimals, int sign);
/* An integer; "-" when v < 0 and dash_negative. */
void cli_table_int(CliTable *t, long long v, int dash_negative);
/* Ends the current row (missing cells print empty). */
void cli_table_end_row(CliTable *t);
/* Rows added so far. */
size_t cli_table_rows(const CliTable *t);
/* Prints the table with indent spaces before each line; returns 0, or -1
 * when memory ran out while it was built (it then says so on stderr). */
int cli_table_print(const CliTable *t, FILE *out, int indent);

/* Formats a duration or a Unix time for tables: "2026-11-25 21:03:04" (local
 * time), "-" for NAN.  buf holds at least 32 bytes. */
void cli_format_time(double unix_s, char *buf, size_t size);

#endif
