/* codecbench stage world: <stdbool.h> for stage code (C11 7.18).
 *
 * Part of the closed world a stage is compiled in (see stdint.h here and
 * include/codecbench/sandbox.h). */
#ifndef CB_STAGE_WORLD_STDBOOL_H
#define CB_STAGE_WORLD_STDBOOL_H

#define bool _Bool
#define true 1
#define false 0
#define __bool_true_false_are_defined 1

#endif
