// Validates an OpenAPI document with @apidevtools/swagger-parser (an implementation
// independent of ours): node validate_openapi.js FILE. Prints "valid <version> <paths>" and
// exits 0, or prints the validator's message and exits 1.
const SwaggerParser = require('@apidevtools/swagger-parser');

SwaggerParser.validate(process.argv[2])
  .then((api) => console.log(`valid ${api.openapi} ${Object.keys(api.paths).length}`))
  .catch((e) => {
    console.error(e.message);
    process.exit(1);
  });
