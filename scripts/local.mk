EXTRA_DIST += scripts/test-summary scripts/install-deps scripts/quickstart scripts/packages.txt .ci/run
