/* Video assessment room: the doctor's and the guardian's page (templates/video/room.html).
 *
 * Signalling goes through the portal: gather every ICE candidate, POST the offer, apply the
 * answer (the media service does not trickle). Capped camera (640×480, 15 fps) and bitrate,
 * audio-only mode, automatic re-offer with back-off when the connection fails. Every word shown
 * comes from the page's data-msg-* attributes (translated by the portal).
 */
(function () {
  'use strict';

  var root = document.getElementById('video-room');
  if (!root) { return; }
  var data = root.dataset;
  var role = data.role;
  var csrf = document.querySelector('meta[name="csrf-token"]').getAttribute('content');
  var iceServers = JSON.parse(data.iceServers || '[]');
  var maxBitrate = parseInt(data.maxBitrate, 10) || 600000;
  var MAX_ATTEMPTS = 5;

  var el = function (id) { return document.getElementById(id); };
  var localVideo = el('video-local');
  var remoteVideo = el('video-remote');
  var stateText = el('video-session-state');
  var connText = el('video-connection');
  var recording = el('video-recording');
  var quality = el('video-quality');
  var notice = el('video-notice');
  var waiting = el('video-waiting');
  var playButton = el('video-play');
  var consentOpen = el('video-consent-open');
  var dialog = el('video-consent-dialog');
  var consentForm = el('video-consent-form');
  var consentError = el('video-consent-error');
  var audioButton = el('video-audio-only');
  var rejoinButton = el('video-rejoin');
  var admitForm = el('video-admit-form');
  var snapshotForm = el('video-snapshot-form');
  var leaveForm = el('video-leave-form');
  var endForm = el('video-end-form');

  var pc = null;
  var stream = null;
  var audioOnly = false;
  var attempts = 0;
  var retryTimer = null;
  var active = false;     // we want to be connected (joined and not left)
  var finished = false;   // the session ended or was interrupted
  var consented = false;
  var consentAsked = false;
  var leftOnPurpose = false;
  var snapshots = 0;
  var lastFrames = 0;

  function msg(name, values) {
    var key = 'msg' + name.replace(/(^|-)([a-z])/g, function (m, dash, c) {
      return c.toUpperCase();
    });
    var text = data[key] || '';
    Object.keys(values || {}).forEach(function (k) {
      text = text.replace('{' + k + '}', values[k]);
    });
    return text;
  }

  function setConnection(name, values) {
    connText.textContent = msg('conn-' + name, values);
    connText.dataset.state = name;
  }
  function say(text) { notice.textContent = text || ''; }

  function post(url, body, isForm) {
    var headers = { 'Accept': 'application/json', 'X-CSRFToken': csrf };
    if (!isForm) { headers['Content-Type'] = 'application/json'; }
    return fetch(url, {
      method: 'POST', credentials: 'same-origin', headers: headers,
      body: isForm ? body : JSON.stringify(body || {})
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (payload) {
        return { ok: response.ok, status: response.status, data: payload };
      });
    });
  }

  function mediaConstraints() {
    return {
      audio: true,
      video: audioOnly ? false : {
        width: { ideal: 640, max: 640 }, height: { ideal: 480, max: 480 },
        frameRate: { ideal: 15, max: 15 }
      }
    };
  }

  function stopStream() {
    if (stream) { stream.getTracks().forEach(function (t) { t.stop(); }); }
    stream = null;
    localVideo.srcObject = null;
  }

  function closePeer() {
    if (pc) {
      pc.onconnectionstatechange = null;
      pc.ontrack = null;
      pc.close();
    }
    pc = null;
  }

  function waitForIce(peer) {
    if (peer.iceGatheringState === 'complete') { return Promise.resolve(); }
    return new Promise(function (resolve) {
      var done = function () {
        if (peer.iceGatheringState === 'complete') {
          peer.removeEventListener('icegatheringstatechange', done);
          resolve();
        }
      };
      peer.addEventListener('icegatheringstatechange', done);
      setTimeout(resolve, 8000);  // send what was gathered rather than wait forever
    });
  }

  function capBitrate() {
    if (!pc) { return; }
    pc.getSenders().forEach(function (sender) {
      if (!sender.track || sender.track.kind !== 'video') { return; }
      var params = sender.getParameters();
      if (!params.encodings || !params.encodings.length) { params.encodings = [{}]; }
      params.encodings[0].maxBitrate = maxBitrate;
      sender.setParameters(params).catch(function () { /* kept by sendEncodings */ });
    });
  }

  function playRemote() {
    var playing = remoteVideo.play();
    if (playing && playing.catch) {
      playing.catch(function () { playButton.hidden = false; say(msg('play-blocked')); });
    }
  }

  function scheduleRetry() {
    if (!active || finished || retryTimer) { return; }
    closePeer();
    if (attempts >= MAX_ATTEMPTS) {
      setConnection('failed');
      say(msg('gave-up'));
      rejoinButton.hidden = false;
      return;
    }
    attempts += 1;
    connText.textContent = msg('reconnecting', { n: attempts });
    connText.dataset.state = 'reconnecting';
    retryTimer = setTimeout(function () {
      retryTimer = null;
      connect();
    }, 1000 * Math.pow(2, attempts - 1));
  }

  function watchPeer(peer) {
    var lostTimer = null;
    peer.onconnectionstatechange = function () {
      var state = peer.connectionState;
      setConnection(state);
      if (state === 'connected') {
        attempts = 0;
        say('');
        rejoinButton.hidden = true;
        capBitrate();
      } else if (state === 'failed') {
        scheduleRetry();
      } else if (state === 'disconnected') {
        clearTimeout(lostTimer);
        lostTimer = setTimeout(function () {
          if (pc === peer && peer.connectionState === 'disconnected') { scheduleRetry(); }
        }, 4000);
      }
    };
    var remoteStream = new MediaStream();
    peer.ontrack = function (event) {
      remoteStream.addTrack(event.track);
      remoteVideo.srcObject = remoteStream;
      playRemote();
    };
  }

  function connect() {
    if (finished) { return Promise.resolve(); }
    active = true;
    closePeer();
    if (uplink) { uplink.reset(); }
    rejoinButton.hidden = true;
    setConnection('camera');
    var ready = stream ? Promise.resolve(stream)
      : navigator.mediaDevices.getUserMedia(mediaConstraints());
    return ready.then(function (media) {
      stream = media;
      localVideo.srcObject = stream;
      var peer = new RTCPeerConnection({ iceServers: iceServers });
      pc = peer;
      watchPeer(peer);
      stream.getTracks().forEach(function (track) {
        var init = { direction: 'sendrecv', streams: [stream] };
        if (track.kind === 'video') { init.sendEncodings = [{ maxBitrate: maxBitrate }]; }
        peer.addTransceiver(track, init);
      });
      setConnection('connecting');
      return peer.createOffer()
        .then(function (offer) { return peer.setLocalDescription(offer); })
        .then(function () { return waitForIce(peer); })
        .then(function () {
          return post(data.urlOffer, {
            sdp: peer.localDescription.sdp, type: peer.localDescription.type,
            audio_only: audioOnly
          });
        })
        .then(function (result) {
          if (pc !== peer) { return; }
          if (!result.ok) {
            say(result.data.message || msg('error'));
            if (result.status === 503 || result.status === 409) {
              active = false;
              closePeer();
              setConnection('closed');
              rejoinButton.hidden = result.status === 503;
              return;
            }
            scheduleRetry();
            return;
          }
          return peer.setRemoteDescription(result.data).then(capBitrate);
        });
    }).catch(function (error) {
      if (error && (error.name === 'NotAllowedError' || error.name === 'NotFoundError' ||
                    error.name === 'OverconstrainedError')) {
        active = false;
        setConnection('closed');
        say(msg('no-camera'));
        rejoinButton.hidden = false;
        return;
      }
      scheduleRetry();
    });
  }

  function finish(textName) {
    finished = true;
    active = false;
    clearTimeout(retryTimer);
    closePeer();
    stopStream();
    recording.hidden = true;
    setConnection('closed');
    say(msg(textName));
    [consentOpen, audioButton, rejoinButton, playButton].forEach(function (b) {
      if (b) { b.hidden = true; }
    });
    [admitForm, snapshotForm, leaveForm, endForm].forEach(function (f) {
      if (f) { f.hidden = true; }
    });
  }

  /* --- status polling: waiting room, admission, consent, recording indicator --- */

  function applyStatus(status) {
    stateText.textContent = status.state_text;
    root.dataset.state = status.state;
    recording.hidden = !status.recording;
    if (status.state === 'ended') { finish('ended'); return; }
    if (status.state === 'interrupted') { finish('interrupted'); return; }
    consented = Boolean(status.consent && status.consent[role]);
    if (admitForm) { admitForm.hidden = !(status.guardian_arrived && !status.admitted); }
    var canConsent = role === 'doctor' || status.admitted;
    consentOpen.hidden = consented || !canConsent;
    if (waiting) { waiting.hidden = status.admitted; }
    if (role === 'guardian' && status.admitted) {
      if (!active && !pc && !retryTimer && !leftOnPurpose && rejoinButton.hidden) { connect(); }
      if (!consented && !consentAsked) { consentAsked = true; openConsent(); }
    }
  }

  function poll() {
    if (finished) { return; }
    var options = { credentials: 'same-origin', headers: { 'Accept': 'application/json' } };
    fetch(data.urlStatus, options)
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (status) { if (status) { applyStatus(status); } })
      .catch(function () { /* the next poll tries again */ })
      .then(function () { if (!finished) { setTimeout(poll, 2000); } });
  }

  /* --- video quality: frames decoded, shown to both sides --- */

  function measure() {
    if (finished) { return; }
    if (pc) {
      pc.getStats().then(function (report) {
        report.forEach(function (stat) {
          if (stat.type === 'inbound-rtp' && stat.kind === 'video') {
            var frames = stat.framesDecoded || 0;
            remoteVideo.dataset.framesDecoded = String(frames);
            var fps = Math.max(0, (frames - lastFrames) / 2).toFixed(0);
            quality.textContent = msg('quality', { fps: fps });
            lastFrames = frames;
          }
        });
        if (linkBox) { judgeLink(report); }
        if (uplink) { uplink.watch(report); }
      }).catch(function () { /* a closed connection has no stats */ });
    }
    setTimeout(measure, 2000);
  }

  /* --- the doctor's page: is the picture good enough to judge? (RTT, loss, size, rate) --- */

  var linkBox = role === 'doctor' ? el('video-link') : null;
  var linkPackets = null;   // {lost, received} of the previous measure
  var linkShown = null;     // the class on screen
  var linkPending = null;   // a new class seen once: shown when seen twice in a row
  var linkNoted = null;     // the class last noted in the session's log

  function linkFigures(report) {
    var rtt = null;
    var video = null;
    report.forEach(function (stat) {
      if (stat.type === 'candidate-pair' && stat.nominated && stat.state === 'succeeded' &&
          typeof stat.currentRoundTripTime === 'number') {
        rtt = stat.currentRoundTripTime * 1000;
      }
      if (stat.type === 'inbound-rtp' && stat.kind === 'video') { video = stat; }
    });
    var figures = { rtt_ms: rtt === null ? null : Math.round(rtt) };
    if (!video || !video.framesDecoded) { return figures; }
    var lost = Math.max(0, video.packetsLost || 0);
    var received = video.packetsReceived || 0;
    if (linkPackets) {
      var newLost = Math.max(0, lost - linkPackets.lost);
      var newReceived = Math.max(0, received - linkPackets.received);
      var all = newLost + newReceived;
      figures.loss_pct = all ? Math.round(1000 * newLost / all) / 10 : 0;
    }
    linkPackets = { lost: lost, received: received };
    figures.width = video.frameWidth || 0;
    figures.height = video.frameHeight || 0;
    figures.fps = Math.round(video.framesPerSecond || 0);
    return figures;
  }

  function linkClass(f) {
    if (f.height === undefined) { return 'audio'; }
    var rtt = f.rtt_ms || 0;
    var loss = f.loss_pct || 0;
    if (rtt > 600 || loss >= 10 || f.fps < 5 || f.height < 180) { return 'poor'; }
    if (rtt > 300 || loss >= 3 || f.fps < 10 || f.height < 360) { return 'fair'; }
    return 'good';
  }

  function judgeLink(report) {
    var figures = linkFigures(report);
    var level = linkClass(figures);
    el('video-link-figures').textContent = figures.height === undefined ? '' : msg('link-figures', {
      rtt: figures.rtt_ms === null ? '?' : figures.rtt_ms, loss: figures.loss_pct || 0,
      width: figures.width, height: figures.height, fps: figures.fps });
    if (level !== linkShown && level !== linkPending && linkShown !== null) {
      linkPending = level;  // one measure of 2 s is not yet a change
      return;
    }
    linkPending = null;
    linkShown = level;
    linkBox.hidden = false;
    linkBox.dataset.level = level;
    el('video-link-words').textContent = msg('link-' + level);
    if (level !== 'audio' && level !== linkNoted && data.urlQuality) {
      linkNoted = level;
      figures.level = level;
      Object.keys(figures).forEach(function (k) { if (figures[k] === null) { delete figures[k]; } });
      post(data.urlQuality, figures).catch(function () { /* noted at the next change */ });
    }
  }

  /* --- the guardian's page: voice only on a weak link (static/js/video_uplink.js) --- */

  var uplink = role === 'guardian' && window.VideoUplink ? window.VideoUplink(root, {
    peer: function () { return pc; },
    audioOnly: function () { return audioOnly; },
    say: say,
    msg: msg
  }) : null;

  /* --- consent dialog: labelled, focus moves in and back --- */

  var opener = null;
  function openConsent() {
    if (!dialog || consented) { return; }
    opener = document.activeElement;
    consentError.textContent = '';
    if (dialog.showModal) { dialog.showModal(); } else { dialog.setAttribute('open', ''); }
    var input = consentForm.querySelector('input[type="text"]');
    if (input) { input.focus(); }
  }
  function closeConsent() {
    if (dialog.close) { dialog.close(); } else { dialog.removeAttribute('open'); }
    if (opener && opener.focus && !opener.hidden) { opener.focus(); } else { stateText.focus(); }
  }

  consentOpen.addEventListener('click', openConsent);
  el('video-consent-cancel').addEventListener('click', closeConsent);
  consentForm.addEventListener('submit', function (event) {
    event.preventDefault();
    post(consentForm.action, new FormData(consentForm), true).then(function (result) {
      if (!result.ok) {
        var fields = result.data.fields || {};
        var messages = [];
        Object.keys(fields).forEach(function (name) {
          var input = consentForm.querySelector('[name="' + name + '"]');
          if (input) { input.setAttribute('aria-invalid', 'true'); }
          messages = messages.concat(fields[name]);
        });
        consentError.textContent = messages.join(' ') || result.data.message || msg('error');
        return;
      }
      consented = true;
      consentOpen.hidden = true;
      closeConsent();
      say(msg('consent-given'));
    });
  });

  /* --- buttons and one-step forms --- */

  function ajaxForm(form, onDone) {
    if (!form) { return; }
    form.addEventListener('submit', function (event) {
      event.preventDefault();
      post(form.action, new FormData(form), true).then(function (result) {
        if (!result.ok) { say(result.data.message || msg('error')); return; }
        onDone(result.data);
      });
    });
  }

  ajaxForm(admitForm, function (answer) { admitForm.hidden = true; say(answer.message); });
  ajaxForm(snapshotForm, function () {
    snapshots += 1;
    say(msg('snapshot-saved', { n: snapshots }));
  });
  ajaxForm(leaveForm, function () {
    active = false;
    leftOnPurpose = true;
    clearTimeout(retryTimer);
    retryTimer = null;
    closePeer();
    stopStream();
    setConnection('left');
    rejoinButton.hidden = false;
  });
  if (endForm) {
    endForm.addEventListener('submit', function (event) {
      if (!window.confirm(msg('end-confirm'))) {
        event.preventDefault();
        event.stopImmediatePropagation();
      }
    });
    ajaxForm(endForm, function (answer) {
      finish('ended');
      say(answer.message);
      if (answer.next_url) {
        setTimeout(function () { window.location.assign(answer.next_url); }, 1500);
      }
    });
  }

  rejoinButton.addEventListener('click', function () {
    attempts = 0;
    leftOnPurpose = false;
    say('');
    connect();
  });
  playButton.addEventListener('click', function () {
    playButton.hidden = true;
    say('');
    remoteVideo.play();
  });
  audioButton.addEventListener('click', function () {
    audioOnly = !audioOnly;
    audioButton.setAttribute('aria-pressed', audioOnly ? 'true' : 'false');
    stopStream();
    if (active) { attempts = 0; connect(); }
  });
  window.addEventListener('pagehide', function () {
    if (active && !finished) {
      var body = new FormData(leaveForm);
      navigator.sendBeacon(leaveForm.action, body);
    }
  });

  setConnection('new');
  if (role === 'doctor' && data.state !== 'ended' && data.state !== 'interrupted') { connect(); }
  poll();
  measure();
}());
