// Verifies a webhook delivery with the independent npm `standardwebhooks` implementation.
// stdin: {"secret": "whsec_...", "headers": {...}, "body": "..."}; exit 0 when it verifies,
// 1 (printing the library's error) when not.
const path = require("path");
const { Webhook } = require(path.resolve(__dirname, "../node/node_modules/standardwebhooks"));

let input = "";
process.stdin.on("data", (d) => (input += d));
process.stdin.on("end", () => {
  const { secret, headers, body } = JSON.parse(input);
  try {
    new Webhook(secret).verify(body, headers);
    console.log("verified");
  } catch (e) {
    console.log("rejected: " + e.message);
    process.exit(1);
  }
});
