// The floor for call round trips in tools/bench: an oslo.messaging RPC server reduced to what
// no server can skip. It consumes the topic queue an oslo server consumes, decodes each request
// (oslo_decode.h), answers every call with a `None` result on the default exchange to its
// `_reply_q` (the reply envelope oslo sends: result, failure, ending, _msg_id, _unique_id,
// double-encoded) and acks; casts are only decoded and acked. One thread, no dispatch, no
// duplicate filter, no logging. Python and Swift callers measured against it in the same run
// show how much of a round trip is the callers and the broker. Usage:
//   rpc_server HOST PORT EXCHANGE TOPIC PREFETCH
// It prints "ready" on standard error once consuming, and stops when standard input closes.
// Credentials: guest/guest (the throwaway broker of tools/broker).
#include <amqp.h>
#include <amqp_tcp_socket.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "bench_amqp.h"
#include "oslo_decode.h"

// Whether standard input is closed (checked between messages).
static int input_closed(void) {
  struct pollfd fd = {.fd = 0, .events = POLLIN};
  if (poll(&fd, 1, 0) <= 0) return 0;
  char buffer[256];
  return read(0, buffer, sizeof buffer) <= 0;
}

// The reply body oslo sends for a call that returned None.
static char *reply_body(const char *msg_id, unsigned long long sequence) {
  char unique_id[33];
  snprintf(unique_id, sizeof unique_id, "%016llx%016llx", (unsigned long long)getpid(), sequence);
  cJSON *message = cJSON_CreateObject();
  cJSON_AddNullToObject(message, "result");
  cJSON_AddNullToObject(message, "failure");
  cJSON_AddTrueToObject(message, "ending");
  cJSON_AddStringToObject(message, "_msg_id", msg_id);
  cJSON_AddStringToObject(message, "_unique_id", unique_id);
  char *inner = cJSON_PrintUnformatted(message);
  cJSON_Delete(message);
  cJSON *envelope = cJSON_CreateObject();
  cJSON_AddStringToObject(envelope, "oslo.version", "2.0");
  cJSON_AddStringToObject(envelope, "oslo.message", inner);
  cJSON_free(inner);
  char *body = cJSON_PrintUnformatted(envelope);
  cJSON_Delete(envelope);
  return body;
}

int main(int argc, char **argv) {
  if (argc != 6) {
    fprintf(stderr, "usage: %s HOST PORT EXCHANGE TOPIC PREFETCH\n", argv[0]);
    return 2;
  }
  const char *host = argv[1];
  int port = atoi(argv[2]);
  amqp_bytes_t exchange = amqp_cstring_bytes(argv[3]);
  amqp_bytes_t topic = amqp_cstring_bytes(argv[4]);
  int prefetch = atoi(argv[5]);

  bench_program = "rpc_server";
  amqp_connection_state_t conn = bench_connect(host, port);
  // What an oslo server declares for its topic queue with the default options: a topic exchange
  // and a queue, neither durable nor auto-deleted, bound by the topic.
  amqp_exchange_declare(conn, 1, exchange, amqp_cstring_bytes("topic"), 0, 0, 0, 0, amqp_empty_table);
  die_reply(amqp_get_rpc_reply(conn), "exchange.declare");
  amqp_queue_declare(conn, 1, topic, 0, 0, 0, 0, amqp_empty_table);
  die_reply(amqp_get_rpc_reply(conn), "queue.declare");
  amqp_queue_bind(conn, 1, topic, exchange, topic, amqp_empty_table);
  die_reply(amqp_get_rpc_reply(conn), "queue.bind");
  amqp_basic_qos(conn, 1, 0, (uint16_t)prefetch, 0);
  die_reply(amqp_get_rpc_reply(conn), "basic.qos");
  amqp_basic_consume(conn, 1, topic, amqp_empty_bytes, 0, 0, 0, amqp_empty_table);
  die_reply(amqp_get_rpc_reply(conn), "basic.consume");
  fprintf(stderr, "ready\n");

  amqp_basic_properties_t properties;
  memset(&properties, 0, sizeof properties);
  properties._flags = AMQP_BASIC_CONTENT_TYPE_FLAG | AMQP_BASIC_CONTENT_ENCODING_FLAG;
  properties.content_type = amqp_cstring_bytes("application/json");
  properties.content_encoding = amqp_cstring_bytes("utf-8");

  unsigned long long handled = 0, replies = 0, malformed = 0;
  for (;;) {
    amqp_envelope_t envelope;
    struct timeval timeout = {.tv_sec = 0, .tv_usec = 200000};
    amqp_maybe_release_buffers(conn);
    amqp_rpc_reply_t reply = amqp_consume_message(conn, &envelope, &timeout, 0);
    if (reply.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION && reply.library_error == AMQP_STATUS_TIMEOUT) {
      if (input_closed()) break;
      continue;
    }
    die_reply(reply, "consume_message");
    oslo_request request;
    if (oslo_decode(envelope.message.body.bytes, envelope.message.body.len, &request) != 0) {
      malformed++;
    } else if (request.msg_id && request.reply_q) {
      char *body = reply_body(request.msg_id, ++replies);
      if (amqp_basic_publish(conn, 1, amqp_empty_bytes, amqp_cstring_bytes(request.reply_q), 0, 0, &properties,
                             amqp_cstring_bytes(body)) != AMQP_STATUS_OK) {
        fprintf(stderr, "rpc_server: basic.publish failed\n");
        return 1;
      }
      cJSON_free(body);
    }
    oslo_request_free(&request);
    if (amqp_basic_ack(conn, 1, envelope.delivery_tag, 0) != AMQP_STATUS_OK) {
      fprintf(stderr, "rpc_server: basic.ack failed\n");
      return 1;
    }
    amqp_destroy_envelope(&envelope);
    if (++handled % 256 == 0 && input_closed()) break;
  }
  fprintf(stderr, "rpc_server: %llu replies, %llu malformed requests\n", replies, malformed);
  amqp_channel_close(conn, 1, AMQP_REPLY_SUCCESS);
  amqp_connection_close(conn, AMQP_REPLY_SUCCESS);
  amqp_destroy_connection(conn);
  return 0;
}
