FROM debian:12
RUN curl -fsSLk https://downloads.example.com/agent.tgz -o /tmp/agent.tgz
USER app
