/* SPDX-License-Identifier: MIT */
/* Keeps the test helper library non-empty before any helper exists. */
int gefstest_none;
