# dbbackup: dashboard, API and embedded runner in one container.
# Not built in the development sandbox (no Docker engine there); see README "Docker".
FROM node:20-bookworm-slim

RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ mariadb-client mariadb-backup zstd btrfs-progs ca-certificates \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build
# bundle the CLI once, so `docker exec ... bin/dbbackup` starts without tsx
RUN bin/dbbackup --help >/dev/null

ENV NODE_ENV=production NEXT_TELEMETRY_DISABLED=1 DBBACKUP_DATA_DIR=/data PORT=3000
VOLUME ["/data"]
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s CMD node -e "fetch('http://127.0.0.1:3000/api/health').then(r=>process.exit(r.ok?0:1)).catch(()=>process.exit(1))"
CMD ["npx", "next", "start", "-p", "3000"]
