/* samples/stages/intra_smooth.c compiled into test_engine_stage as
 * cb_sample_intra_smooth (intra.c defines cb_stage_intra too). */
#define cb_stage_intra cb_sample_intra_smooth
#include "samples/stages/intra_smooth.c"
