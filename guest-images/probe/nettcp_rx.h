// SPDX-License-Identifier: MIT
// Probe guest net-tcp-rx's data path (nettcp_rx.c): segments with data checked, gaps held, ACKs.
#ifndef PROBE_NETTCP_RX_H
#define PROBE_NETTCP_RX_H

#include "nettcp_conn.h"

/* net-tcp-rx: a segment with data, checked, in order or held beyond a gap; ACKs as due. */
void nettcp_rx_on_data(struct tcprun *t, const struct tcp_seg *s);

#endif
