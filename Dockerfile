# The service as it runs in production (see "Running in production" in README.md).
#   docker compose --profile app up -d --build      (ADMIN_TOKEN must be set)
FROM node:20-alpine AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci
COPY tsconfig.json tsconfig.build.json nest-cli.json ./
COPY src ./src
RUN npm run build

FROM node:20-alpine
WORKDIR /app
# Outside production the service refuses a non-loopback HOST; a container must listen on 0.0.0.0.
ENV NODE_ENV=production HOST=0.0.0.0 PORT=8081
COPY package.json package-lock.json ./
RUN npm ci --omit=dev && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY sql ./sql
USER node
EXPOSE 8081
# node itself is PID 1's child of no shell: SIGTERM reaches it and starts the drain.
CMD ["node", "--max-old-space-size=192", "dist/main"]
