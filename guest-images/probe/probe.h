// SPDX-License-Identifier: MIT
// Probe guest: the C entry that entry.S jumps to at CPL 3 (probe.c).
#ifndef PROBE_PROBE_H
#define PROBE_PROBE_H

/* Reads the PVH start info and the command line, runs probe.mode, exits. */
void probe_main(void) __attribute__((noreturn));

#endif
