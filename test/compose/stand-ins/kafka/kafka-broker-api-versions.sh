#!/bin/sh
# Stand-in for Kafka's tool, for the compose healthcheck: sends ApiVersions v0 to --bootstrap-server
# host:port and exits 0 on an answer without error.
while [ $# -gt 0 ]; do case "$1" in --bootstrap-server) server="$2"; shift 2 ;; *) shift ;; esac; done
exec node -e '
const [host, port] = process.argv[1].split(":");
const s = require("net").connect(Number(port), host, () => {
  const id = Buffer.from("health"); const h = Buffer.alloc(14 + id.length);
  h.writeInt32BE(10 + id.length, 0); h.writeInt16BE(18, 4); h.writeInt16BE(0, 6); h.writeInt32BE(7, 8); h.writeInt16BE(id.length, 12); id.copy(h, 14);
  s.write(h);
});
s.on("data", (b) => { if (b.length >= 10 && b.readInt32BE(4) === 7 && b.readInt16BE(8) === 0) { console.log(host + ":" + port + " (id: 1) -> ApiVersions ok"); process.exit(0); } process.exit(1); });
s.on("error", () => process.exit(1)); setTimeout(() => process.exit(1), 5000);
' "${server:-localhost:9092}"
