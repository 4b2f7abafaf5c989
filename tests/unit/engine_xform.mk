check_PROGRAMS += tests/unit/test_engine_xform
TESTS += tests/unit/test_engine_xform
tests_unit_test_engine_xform_SOURCES = tests/unit/test_engine_xform.c
tests_unit_test_engine_xform_CFLAGS = $(CB_TEST_CF)
# OpenBLAS's and LAPACKE's headers: the test varies openblas_set_num_threads()
# (a process global, fine in a test program) to show training does not depend
# on it, and takes the theoretical KLT of AR(1) covariances from LAPACKE.
tests_unit_test_engine_xform_CPPFLAGS = $(AM_CPPFLAGS) $(OPENBLAS_CFLAGS) $(LAPACKE_CFLAGS)
tests_unit_test_engine_xform_LDADD = $(CB_ENGINE_LIBS) src/util/libcbutil.a $(CMOCKA_LIBS)
