/* govbot hotline operator console: the entry point. ES modules, no build step, no dependencies.
 * Everything the server or a citizen says is rendered as text (textContent), never as markup. */

import { $ } from "../shared/dom.js";
import { initSession, resume, showView } from "./session.js";
import { initActions } from "./actions.js";
import { initAssist } from "./assist.js";

initSession();
initActions();
initAssist();
showView("login");
resume().then((resumed) => { if (!resumed) $("login-user").focus(); });
