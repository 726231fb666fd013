/* SPDX-License-Identifier: MIT */
/*
 * gefs-unit: runs the CUnit suites of libfs. With no argument it runs every
 * suite; with names, only those. Exit status 0 iff every test passed.
 */
#include <stdio.h>
#include <string.h>
#include <CUnit/Basic.h>
#include "suites.h"

int
main(int argc, char **argv)
{
	int i, j, found, rc;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	for (i = 0; suites[i].name; i++) {
		found = argc < 2;
		for (j = 1; j < argc; j++)
			if (strcmp(argv[j], suites[i].name) == 0)
				found = 1;
		if (found && suites[i].add() != 0) {
			fprintf(stderr, "gefs-unit: cannot add suite %s\n", suites[i].name);
			return 2;
		}
	}
	if (CU_get_registry()->uiNumberOfSuites == 0) {
		fprintf(stderr, "gefs-unit: no such suite\n");
		return 2;
	}
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	rc = CU_get_number_of_tests_failed() != 0 || CU_get_number_of_failures() != 0;
	CU_cleanup_registry();
	return rc;
}
