// What the C programs of tools/bench share: failing on a broker error, and a connection with
// channel 1 open on the throwaway broker of tools/broker (guest/guest, vhost "/").
#ifndef BENCH_AMQP_H
#define BENCH_AMQP_H

#include <amqp.h>
#include <amqp_tcp_socket.h>
#include <stdio.h>
#include <stdlib.h>

// Set by each program to its name, for its error messages.
static const char *bench_program = "bench";

static void die_reply(amqp_rpc_reply_t reply, const char *what) {
  if (reply.reply_type == AMQP_RESPONSE_NORMAL) return;
  fprintf(stderr, "%s: %s failed (reply type %d, library error %s)\n", bench_program, what, reply.reply_type,
          amqp_error_string2(reply.library_error));
  exit(1);
}

// Connects, logs in and opens channel 1; exits on failure.
static amqp_connection_state_t bench_connect(const char *host, int port) {
  amqp_connection_state_t conn = amqp_new_connection();
  amqp_socket_t *socket = amqp_tcp_socket_new(conn);
  if (!socket || amqp_socket_open(socket, host, port) != AMQP_STATUS_OK) {
    fprintf(stderr, "%s: cannot connect to %s:%d\n", bench_program, host, port);
    exit(1);
  }
  die_reply(amqp_login(conn, "/", 0, 131072, 60, AMQP_SASL_METHOD_PLAIN, "guest", "guest"), "login");
  amqp_channel_open(conn, 1);
  die_reply(amqp_get_rpc_reply(conn), "channel.open");
  return conn;
}

#endif
