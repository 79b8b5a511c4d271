// The baseline for tools/bench: drains N messages from a queue with librabbitmq used the
// ordinary way (amqp_consume_message, then amqp_basic_ack for each message, with a prefetch),
// and prints the rate and the CPU time per message. Usage:
//   consumer HOST PORT QUEUE COUNT PREFETCH [decode]
// With `decode`, each message is also decoded as an oslo.messaging server must before it can
// dispatch (oslo_decode.h: envelope, inner message, context keys split out) before it is acked:
// the floor for a server that decodes, measured on the same broker as the worker.
// Credentials: guest/guest (the throwaway broker of tools/broker).
#include <amqp.h>
#include <amqp_tcp_socket.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "bench_amqp.h"
#include "oslo_decode.h"

static double now_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
  if (argc != 6 && !(argc == 7 && strcmp(argv[6], "decode") == 0)) {
    fprintf(stderr, "usage: %s HOST PORT QUEUE COUNT PREFETCH [decode]\n", argv[0]);
    return 2;
  }
  int decode = argc == 7;
  const char *host = argv[1];
  int port = atoi(argv[2]);
  const char *queue = argv[3];
  long count = atol(argv[4]);
  int prefetch = atoi(argv[5]);

  bench_program = "consumer";
  amqp_connection_state_t conn = bench_connect(host, port);
  amqp_basic_qos(conn, 1, 0, (uint16_t)prefetch, 0);
  die_reply(amqp_get_rpc_reply(conn), "basic.qos");
  amqp_basic_consume(conn, 1, amqp_cstring_bytes(queue), amqp_empty_bytes, 0, 0, 0, amqp_empty_table);
  die_reply(amqp_get_rpc_reply(conn), "basic.consume");

  long received = 0;
  size_t bytes = 0;
  double start = 0;
  while (received < count) {
    amqp_envelope_t envelope;
    amqp_maybe_release_buffers(conn);
    amqp_rpc_reply_t reply = amqp_consume_message(conn, &envelope, NULL, 0);
    die_reply(reply, "consume_message");
    if (received == 0) start = now_seconds();
    bytes += envelope.message.body.len;
    if (decode) {
      oslo_request request;
      if (oslo_decode(envelope.message.body.bytes, envelope.message.body.len, &request) != 0) {
        fprintf(stderr, "consumer: message %ld is not an oslo request\n", received);
        return 1;
      }
      oslo_request_free(&request);
    }
    if (amqp_basic_ack(conn, 1, envelope.delivery_tag, 0) != AMQP_STATUS_OK) {
      fprintf(stderr, "consumer: basic.ack failed\n");
      return 1;
    }
    amqp_destroy_envelope(&envelope);
    received++;
  }
  double elapsed = now_seconds() - start;
  struct rusage usage;
  getrusage(RUSAGE_SELF, &usage);
  double cpu = usage.ru_utime.tv_sec + usage.ru_utime.tv_usec / 1e6 + usage.ru_stime.tv_sec + usage.ru_stime.tv_usec / 1e6;
  // rate, and CPU time (user + system, whole process) per message in microseconds
  printf("%.1f %.2f %ld\n", (received - 1) / elapsed, cpu * 1e6 / received, usage.ru_maxrss);
  fprintf(stderr, "c: %ld messages (%zu bytes) in %.3f s\n", received, bytes, elapsed);

  amqp_channel_close(conn, 1, AMQP_REPLY_SUCCESS);
  amqp_connection_close(conn, AMQP_REPLY_SUCCESS);
  amqp_destroy_connection(conn);
  return 0;
}
