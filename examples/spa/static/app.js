// A browser app signing in with tessera through oidc-client-ts (the `oidc` global of
// its browser build): Authorization Code with PKCE and an `audience`, userinfo, a call
// to the API with the access token, a refresh with the refresh token, and logout.
// Every call to tessera and to the API is cross-origin: it works because tessera and
// the API answer CORS for this page's origin.
"use strict";

const $ = (id) => document.getElementById(id);

function show(id, value) {
  $(id).textContent = typeof value === "string" ? value : JSON.stringify(value, null, 2);
}

function fail(error) {
  show("error", `${error.name || "Error"}: ${error.message || error}`);
}

function showUser(user) {
  const signedIn = Boolean(user && !user.expired);
  show("status", signedIn ? `Signed in as ${user.profile.sub}` : "Signed out");
  $("sign-in").hidden = signedIn;
  for (const id of ["call-api", "refresh", "sign-out"]) $(id).hidden = !signedIn;
  show("tokens", signedIn
    ? { expires_at: user.expires_at, scope: user.scope, has_refresh_token: Boolean(user.refresh_token) }
    : "–");
}

async function loadUserinfo(manager, user) {
  const endpoint = await manager.metadataService.getUserInfoEndpoint();
  const response = await fetch(endpoint, { headers: { Authorization: `Bearer ${user.access_token}` } });
  if (!response.ok) throw new Error(`userinfo answered ${response.status}`);
  show("userinfo", await response.json());
}

async function callApi(config, user) {
  const response = await fetch(`${config.api}/api`, {
    headers: { Authorization: `Bearer ${user.access_token}` },
  });
  if (!response.ok) throw new Error(`the API answered ${response.status}`);
  show("api", await response.json());
}

async function main() {
  const config = await (await fetch("/config.json")).json();
  const origin = window.location.origin;
  const manager = new oidc.UserManager({
    authority: config.issuer,
    client_id: config.client_id,
    redirect_uri: `${origin}/callback`,
    post_logout_redirect_uri: `${origin}/signed-out`,
    scope: config.scope,
    extraQueryParams: { audience: config.audience },
    revokeTokensOnSignout: true,
    automaticSilentRenew: false,
    loadUserInfo: false,
  });

  $("sign-in").addEventListener("click", () => manager.signinRedirect().catch(fail));
  $("call-api").addEventListener("click", async () => {
    try { await callApi(config, await manager.getUser()); } catch (error) { fail(error); }
  });
  $("refresh").addEventListener("click", async () => {
    try {
      // With a refresh token, signinSilent runs the refresh_token grant (no iframe).
      const user = await manager.signinSilent();
      showUser(user);
      show("status", `Refreshed: signed in as ${user.profile.sub}`);
    } catch (error) { fail(error); }
  });
  $("sign-out").addEventListener("click", () => manager.signoutRedirect().catch(fail));

  if (window.location.pathname === "/callback") {
    const user = await manager.signinRedirectCallback();
    window.history.replaceState(null, "", "/");
    showUser(user);
    await loadUserinfo(manager, user);
    return;
  }
  if (window.location.pathname === "/signed-out") {
    await manager.signoutRedirectCallback();
    window.history.replaceState(null, "", "/");
  }
  const user = await manager.getUser();
  showUser(user);
  if (user && !user.expired) await loadUserinfo(manager, user);
}

main().catch((error) => {
  show("status", "Failed");
  fail(error);
});
