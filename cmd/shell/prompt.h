/* SPDX-License-Identifier: MIT */
/*
 * prompt.h — the interactive side of gefs-shell: readline with history
 * and completion of command names and in-image paths.
 */
#ifndef GEFS_PROMPT_H
#define GEFS_PROMPT_H

#include "sess.h"

/* Read and run commands from the terminal until EOF or quit; failures are
 * printed and do not stop the loop.  Returns the number of failures. */
int interact(Sess *s);

#endif
