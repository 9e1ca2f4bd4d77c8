// SPDX-License-Identifier: MIT
// Probe guest net-tcp-tx's data path (nettcp_tx.c): the stream out within the window, ACKs in.
#ifndef PROBE_NETTCP_TX_H
#define PROBE_NETTCP_TX_H

#include "nettcp_conn.h"

/* net-tcp-tx: new (or resent) data as far as the window and the TX slots allow. */
void nettcp_tx_fill(struct tcprun *t);
/* net-tcp-tx: an acceptable ACK moves una; three duplicates resend from una. */
void nettcp_tx_on_ack(struct tcprun *t, const struct tcp_seg *s);

#endif
