// The portal's script (issue 17): progressive enhancement only. Every page
// works without it; where a page carries chart data (a
// <script type="application/json"> block rendered by the server from the same
// API JSON as the page's tables) it draws uPlot charts above those tables. The
// tables stay the charts' text alternative. Served as /assets/portal.HASH.js
// under a CSP of script-src 'self': nothing here may need inline script or eval.
import { drawDoraCharts } from './dora.js';
import './portal.css';

const charts = [];
// For the browser tests and the curious: the charts drawn, with the data
// they plot (uPlot's own arrays, not a copy made for testing).
window.tollgatePortal = { charts };

function start() {
  const block = document.getElementById('dora-by-week');
  const target = document.getElementById('dora-charts');
  if (block && target) {
    let data;
    try {
      data = JSON.parse(block.textContent);
    } catch (e) {
      target.textContent = 'The charts could not be drawn: ' + e.message + '. The tables below hold the figures.';
      return;
    }
    charts.push(...drawDoraCharts(target, data));
  }
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
else start();
