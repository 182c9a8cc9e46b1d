/* Video assessment room, the guardian's page: voice only on a weak link, the picture back
 * when it is better. Loaded before video.js, which calls VideoUplink(root, hooks):
 * hooks.peer() the RTCPeerConnection or null, hooks.audioOnly(), hooks.say(text),
 * hooks.msg(name) (the page's translated words).
 *
 * Weak: the browser's estimate of what the link carries (availableOutgoingBitrate, from the
 * media service's congestion feedback) is under WEAK_BPS and the link shows it is full (the
 * round trip CONGESTED_S over the lowest seen on this connection, or a tenth of the video
 * lost), twice in a row. Then the camera's encoding is paused (no renegotiation: the voice
 * goes on untouched) and the media service, seeing no picture, sends back the doctor's
 * voice only. After `wait` the camera is tried again at the lowest rate: if the link stays
 * clear for three measures the picture stays, else it pauses again and waits twice as long. */
(function () {
  'use strict';

  window.VideoUplink = function (root, givenHooks) {
    var WEAK_BPS = 100000;
    var CONGESTED_S = 0.15;
    var SETTLE_MS = 4000;
    var weak = null;
    var hooks = null;

    function resetUplink() {
      weak = { paused: false, probing: false, low: 0, clear: 0, since: 0, probeAt: 0,
               probeStart: 0, wait: 15000, minRtt: null };
      root.dataset.uplink = 'video';
    }

    function videoSender() {
      var pc = hooks.peer();
      if (!pc) { return null; }
      return pc.getSenders().filter(function (s) {
        return s.track && s.track.kind === 'video';
      })[0] || null;
    }

    function setCamera(on) {
      var sender = videoSender();
      if (!sender) { return; }
      var params = sender.getParameters();
      if (!params.encodings || !params.encodings.length) { return; }
      params.encodings[0].active = on;
      sender.setParameters(params).catch(function () { /* tried again at the next measure */ });
    }

    function uplinkFigures(report) {
      var figures = { bps: null, rtt: null, loss: 0 };
      report.forEach(function (stat) {
        if (stat.type === 'candidate-pair' && stat.nominated && stat.state === 'succeeded') {
          if (typeof stat.availableOutgoingBitrate === 'number') {
            figures.bps = stat.availableOutgoingBitrate;
          }
          if (typeof stat.currentRoundTripTime === 'number') {
            figures.rtt = stat.currentRoundTripTime;
          }
        }
        if (stat.type === 'remote-inbound-rtp' && stat.kind === 'video' &&
            typeof stat.fractionLost === 'number') {
          figures.loss = stat.fractionLost;
        }
      });
      return figures;
    }

    function pauseCamera(now) {
      setCamera(false);
      weak.paused = true;
      weak.probing = false;
      weak.low = 0;
      weak.probeAt = now + weak.wait;
      root.dataset.uplink = 'paused';
      hooks.say(hooks.msg('weak-audio-only'));
    }

    function watchUplink(report) {
      var pc = hooks.peer();
      if (hooks.audioOnly() || !pc || pc.connectionState !== 'connected' ||
          !videoSender()) { return; }
      var now = Date.now();
      if (!weak.since) { weak.since = now; }
      var f = uplinkFigures(report);
      if (f.rtt !== null) {
        weak.minRtt = weak.minRtt === null ? f.rtt : Math.min(weak.minRtt, f.rtt);
      }
      root.dataset.uplinkBps = f.bps === null ? '' : String(Math.round(f.bps));
      if (f.bps === null || now - weak.since < 6000) { return; }  // the estimate settles first
      var full = (f.rtt !== null && f.rtt > weak.minRtt + CONGESTED_S) || f.loss >= 0.1;
      if (!weak.paused) {
        weak.low = f.bps < WEAK_BPS && full ? weak.low + 1 : 0;
        if (weak.low >= 2) { pauseCamera(now); }
      } else if (!weak.probing) {
        if (now >= weak.probeAt) {
          setCamera(true);
          weak.probing = true;
          weak.probeStart = now;
          weak.clear = weak.low = 0;
          root.dataset.uplink = 'probing';
        }
      } else if (now - weak.probeStart >= SETTLE_MS) {
        weak.clear = full ? 0 : weak.clear + 1;
        weak.low = full ? weak.low + 1 : 0;
        if (weak.clear >= 3) {
          weak.paused = weak.probing = false;
          weak.wait = 15000;
          weak.low = 0;
          root.dataset.uplink = 'video';
          hooks.say(hooks.msg('weak-video-back'));
        } else if (weak.low >= 2) {
          weak.wait = Math.min(60000, weak.wait * 2);
          pauseCamera(now);
        }
      }
    }

    hooks = givenHooks;
    resetUplink();
    return { reset: resetUplink, watch: watchUplink };
  };
}());
