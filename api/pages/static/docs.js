// The API reference: Swagger UI (bundled, pinned: see api/pages/vendor.sh) on the contract.
// The WordPress REST API and Ghost Content API operations are left out of this page:
// they follow WordPress's and Ghost's own references (docs/compat.md), and Swagger UI
// 5 stops rendering part-way with them all on one page (about 130 operations).
/* global SwaggerUIBundle */
const FOREIGN_TAGS = new Set(["WordPress REST API", "Ghost Content API"]);

function withoutForeignApis(spec) {
  for (const [path, item] of Object.entries(spec.paths)) {
    for (const [method, operation] of Object.entries(item)) {
      if ((operation.tags || []).some((tag) => FOREIGN_TAGS.has(tag))) delete item[method];
    }
    if (Object.keys(item).every((key) => key === "parameters")) delete spec.paths[path];
  }
  spec.tags = (spec.tags || []).filter((tag) => !FOREIGN_TAGS.has(tag.name));
  return spec;
}

fetch("/openapi.json")
  .then((response) => response.json())
  .then((spec) => {
    window.ui = SwaggerUIBundle({
      spec: withoutForeignApis(spec),
      dom_id: "#swagger-ui",
      deepLinking: true,
      validatorUrl: null, // no badge fetched from validator.swagger.io
      tryItOutEnabled: false,
      defaultModelsExpandDepth: 0,
    });
  });
