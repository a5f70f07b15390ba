// GOV.UK Frontend's components (skip link, service navigation, error summary), loaded as
// a module from the vendored copy: a browser that runs modules is one GOV.UK Frontend
// supports, so the classes its inline snippet would set are set here (the pages' CSP
// allows no inline script); a browser without modules keeps the plain HTML.
import { initAll } from "/static/vendor/govuk/govuk-frontend.min.js";

document.body.classList.add("js-enabled", "govuk-frontend-supported");
initAll();
