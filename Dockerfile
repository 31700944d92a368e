# The chat server as one container image.
#   docker build -t chat . && docker run -p 8000:8000 -v chat-data:/app/data chat
# The tag is the Deno version the project is developed and tested with
# (tests/deploy_test.ts checks it).
FROM denoland/deno:2.9.6

WORKDIR /app

# Dependencies first, as their own layer, rebuilt only when deno.json or
# deno.lock change. nodeModulesDir "auto" puts npm packages in /app/node_modules;
# --frozen fails the build rather than resolve versions the lockfile lacks.
COPY deno.json deno.lock ./
RUN deno install --frozen

COPY . .

# The build (island bundles, _fresh/server.js) is written here, at image build
# time, and the server's module graph is compiled into DENO_DIR, so the
# non-root user below never writes to /app and a start downloads and compiles
# nothing.
RUN deno task build \
  && deno cache --frozen serve.ts _fresh/server.js \
  && mkdir -p /app/data \
  && chown deno:deno /app/data

# The Deno KV file lives here; mount a volume to keep history across restarts.
VOLUME /app/data

ENV KV_PATH=/app/data/chat.kv PORT=8000 HOSTNAME=0.0.0.0

# The image's own unprivileged user (uid 1993).
USER deno

EXPOSE 8000

# The image has no curl or wget: Deno itself makes the request, to the port
# the server listens on (PORT, 8000 unless overridden).
HEALTHCHECK --interval=10s --timeout=5s --start-period=15s --retries=3 \
  CMD ["deno", "eval", "--no-config", "const r = await fetch(`http://127.0.0.1:${Deno.env.get('PORT') || 8000}/healthz`); Deno.exit(r.ok ? 0 : 1)"]

# The image's entrypoint runs `deno` with these arguments under tini, which
# passes SIGTERM on so the server closes sockets with 1001 and exits 0.
# Keep in step with the "start" task in deno.json (which builds first).
CMD ["run", "-A", "--unstable-kv", "serve.ts"]
