using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using Approvals.Core.Indent;
using Approvals.Core.Webhooks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Approvals.Local.Emulator;

/// <summary>Delivers the emulator's events as Indent does: <c>POST {"events":[…]}</c> signed with the <c>v0</c> scheme,
/// retried with exponential backoff until a 2xx or the attempt limit, every attempt logged. Pending deliveries are
/// stored, so a restart with a data directory resumes them.</summary>
public sealed class WebhookDispatcher : BackgroundService
{
    readonly IndentEmulator emulator;
    readonly IHttpClientFactory httpFactory;
    readonly TimeProvider time;
    readonly FaultInjector faults;
    readonly ILogger<WebhookDispatcher> logger;
    readonly ConcurrentDictionary<string, Delivery> deliveries = new(StringComparer.Ordinal);
    readonly ConcurrentQueue<string> order = new();
    readonly SemaphoreSlim wake = new(0);
    long sequence;

    public WebhookDispatcher(IndentEmulator emulator, IHttpClientFactory httpFactory, TimeProvider time, FaultInjector faults, ILogger<WebhookDispatcher> logger)
    {
        this.emulator = emulator;
        this.httpFactory = httpFactory;
        this.time = time;
        this.faults = faults;
        this.logger = logger;
        foreach (var (_, seq, json) in emulator.Store.All("delivery"))
        {
            var delivery = JsonSerializer.Deserialize(json, EmulatorJsonContext.Default.Delivery)!;
            deliveries[delivery.Id] = delivery;
            order.Enqueue(delivery.Id);
            sequence = Math.Max(sequence, seq);
        }

        emulator.EventsRaised += Enqueue;
    }

    public IReadOnlyList<Delivery> Deliveries => order.Select(id => deliveries[id]).ToList();

    void Enqueue(IReadOnlyList<IndentEvent> events)
    {
        var now = time.GetUtcNow();
        foreach (var e in events)
        {
            var body = JsonSerializer.Serialize(new WebhookPayload { Events = [e] }, IndentJsonContext.Default.WebhookPayload);
            foreach (var url in emulator.Options.WebhookUrls)
            {
                var delivery = new Delivery
                {
                    Id = Guid.NewGuid().ToString("N"),
                    Url = url.ToString(),
                    Body = body,
                    EventType = e.EventType ?? "",
                    Petition = e.PetitionName,
                    CreatedAt = now,
                    NextAttemptAt = now,
                };
                deliveries[delivery.Id] = delivery;
                order.Enqueue(delivery.Id);
                Persist(delivery);
            }
        }

        wake.Release();
    }

    void Persist(Delivery delivery)
    {
        lock (delivery)
        {
            emulator.Store.Put("delivery", delivery.Id, Interlocked.Increment(ref sequence), JsonSerializer.Serialize(delivery, EmulatorJsonContext.Default.Delivery));
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var inFlight = new ConcurrentDictionary<string, Task>(StringComparer.Ordinal);
        while (!stoppingToken.IsCancellationRequested)
        {
            var now = time.GetUtcNow();
            var nextDue = TimeSpan.FromSeconds(1);
            foreach (var delivery in deliveries.Values)
            {
                if (delivery.State != "pending" || inFlight.ContainsKey(delivery.Id))
                {
                    continue;
                }

                var wait = delivery.NextAttemptAt - now;
                if (wait > TimeSpan.Zero)
                {
                    nextDue = wait < nextDue ? wait : nextDue;
                    continue;
                }

                inFlight[delivery.Id] = Task.Run(async () =>
                {
                    try
                    {
                        await AttemptAsync(delivery, stoppingToken);
                    }
                    finally
                    {
                        inFlight.TryRemove(delivery.Id, out _);
                        wake.Release();
                    }
                }, CancellationToken.None);
            }

            try
            {
                await wake.WaitAsync(nextDue, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }

    async Task AttemptAsync(Delivery delivery, CancellationToken stoppingToken)
    {
        var options = emulator.Options;
        var body = Encoding.UTF8.GetBytes(delivery.Body);
        var copies = 1;
        if (faults.TakeWebhookDrop())
        {
            Record(delivery, new DeliveryAttempt(time.GetUtcNow(), null, "dropped by fault injection"), delivered: true);
            return;
        }

        if (faults.TakeWebhookDuplicate())
        {
            copies = 2;
        }

        DeliveryAttempt attempt = new(time.GetUtcNow(), null, "not sent");
        var ok = false;
        for (var copy = 0; copy < copies; copy++)
        {
            var timestamp = IndentWebhookSignature.FormatTimestamp(time.GetUtcNow());
            using var request = new HttpRequestMessage(HttpMethod.Post, delivery.Url) { Content = new ByteArrayContent(body) };
            request.Content.Headers.ContentType = new("application/json");
            request.Headers.Add(IndentWebhookSignature.TimestampHeader, timestamp);
            if (options.WebhookSecrets.Count > 0)
            {
                request.Headers.Add(IndentWebhookSignature.SignatureHeader, IndentWebhookSignature.Sign(options.WebhookSecrets[0], timestamp, body));
            }

            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
            timeout.CancelAfter(options.DeliveryTimeout);
            var sentAt = time.GetUtcNow();
            try
            {
                using var response = await httpFactory.CreateClient(nameof(WebhookDispatcher)).SendAsync(request, timeout.Token);
                attempt = new DeliveryAttempt(time.GetUtcNow(), (int)response.StatusCode, null, sentAt);
                ok |= response.IsSuccessStatusCode;
            }
            catch (Exception e) when (e is HttpRequestException or OperationCanceledException && !stoppingToken.IsCancellationRequested)
            {
                attempt = new DeliveryAttempt(time.GetUtcNow(), null, e is OperationCanceledException ? "timed out" : "connection failed: " + e.Message);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }

        Record(delivery, attempt, ok);
    }

    void Record(Delivery delivery, DeliveryAttempt attempt, bool delivered)
    {
        var options = emulator.Options;
        lock (delivery)
        {
            delivery.Attempts.Add(attempt);
            if (delivered)
            {
                delivery.State = "delivered";
            }
            else if (delivery.Attempts.Count >= options.MaxDeliveryAttempts)
            {
                delivery.State = "failed";
                logger.LogWarning("Webhook {Event} for petition {Petition} to {Url} failed after {Attempts} attempts", delivery.EventType, delivery.Petition, delivery.Url, delivery.Attempts.Count);
            }
            else
            {
                var backoff = options.DeliveryBaseDelay * Math.Pow(2, delivery.Attempts.Count - 1);
                var jitter = 0.8 + (Random.Shared.NextDouble() * 0.4);
                var delay = TimeSpan.FromMilliseconds(Math.Min(options.DeliveryMaxDelay.TotalMilliseconds, backoff.TotalMilliseconds * jitter));
                delivery.NextAttemptAt = time.GetUtcNow() + delay;
            }
        }

        Persist(delivery);
    }

    public override void Dispose()
    {
        emulator.EventsRaised -= Enqueue;
        wake.Dispose();
        base.Dispose();
    }
}
