/* samples/stages/intra.c compiled into test_engine_stage as cb_sample_intra
 * (intra_smooth.c defines cb_stage_intra too). */
#define cb_stage_intra cb_sample_intra
#include "samples/stages/intra.c"
