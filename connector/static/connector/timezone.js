// Tells the server the browser's time zone, so that dates are shown in it (connector.middleware.UserTimeZone).
(function () {
  var zone;
  try {
    zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  } catch (error) {
    return;  // an old browser: dates stay in the server's zone
  }
  // IANA names hold only cookie-safe characters; anything else is not a zone the server knows.
  if (!zone || !/^[A-Za-z0-9_+\-\/]+$/.test(zone)) { return; }
  var name = "connector_tz";
  var current = document.cookie.split("; ").filter(function (pair) { return pair.indexOf(name + "=") === 0; })[0];
  if (current === name + "=" + zone) { return; }
  document.cookie = name + "=" + zone + "; path=/; max-age=31536000; SameSite=Lax" +
    (location.protocol === "https:" ? "; Secure" : "");
})();
