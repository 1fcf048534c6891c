// Telegram puts the signed initData in the URL fragment of a Mini App (tgWebAppData); the server
// checks its signature (bot/services/web_access.py) and answers with a session cookie.
(function () {
  var fragment = new URLSearchParams(window.location.hash.slice(1));
  var initData = fragment.get("tgWebAppData");
  var status = document.getElementById("mini-app-status");
  if (!initData) {
    status.textContent = "Open deze pagina met de knop ‘Webomgeving’ in Telegram, of stuur /web aan de bot.";
    return;
  }
  document.getElementById("init-data").value = initData;
  document.getElementById("mini-app-login").submit();
})();
