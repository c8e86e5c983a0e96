// Posts the authorization response to the application (OAuth 2.0 Form Post Response
// Mode). A file rather than inline script, so the page's CSP allows no inline code.
document.getElementById("authorization-response").submit();
