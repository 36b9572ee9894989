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
    readonly SemaphoreSlim inFlight = new(128);
    readonly PriorityQueue<string, DateTimeOffset> due = new();
    readonly Lock dueGate = new();
    readonly Lock loadGate = new();
    readonly Lock recordGate = new();
    bool loaded;
    long sequence;

    public WebhookDispatcher(IndentEmulator emulator, IHttpClientFactory httpFactory, TimeProvider time, FaultInjector faults, ILogger<WebhookDispatcher> logger)
    {
        ArgumentNullException.ThrowIfNull(emulator);
        this.emulator = emulator;
        this.httpFactory = httpFactory;
        this.time = time;
        this.faults = faults;
        this.logger = logger;
        emulator.EventsRaised += Enqueue;
    }

    public IReadOnlyList<Delivery> Deliveries
    {
        get
        {
            EnsureLoaded();
            return order.Select(id => deliveries[id]).ToList();
        }
    }

    /// <summary>Reads stored deliveries once, on first use (no I/O in the constructor); pending ones are rescheduled.</summary>
    void EnsureLoaded()
    {
        lock (loadGate)
        {
            if (loaded)
            {
                return;
            }

            foreach (var (_, seq, json) in emulator.Store.All("delivery"))
            {
                var delivery = JsonSerializer.Deserialize(json, EmulatorJsonContext.Default.Delivery)!;
                deliveries[delivery.Id] = delivery;
                order.Enqueue(delivery.Id);
                sequence = Math.Max(sequence, seq);
                if (delivery.State == DeliveryState.Pending)
                {
                    Schedule(delivery.Id, delivery.NextAttemptAt);
                }
            }

            loaded = true;
        }
    }

    /// <summary>One delivery per transition and URL: the events of one transition (an approval's
    /// <c>access/approve</c> and <c>access/grant</c>) travel together in one body, as Indent batches them.</summary>
    void Enqueue(IReadOnlyList<IndentEvent> events)
    {
        if (events.Count == 0)
        {
            return;
        }

        EnsureLoaded();

        var now = time.GetUtcNow();
        var body = JsonSerializer.Serialize(new WebhookPayload { Events = events }, IndentJsonContext.Default.WebhookPayload);
        foreach (var url in emulator.Options.WebhookUrls)
        {
            var delivery = new Delivery
            {
                Id = Guid.NewGuid().ToString("N"),
                Url = url.ToString(),
                Body = body,
                EventType = string.Join(',', events.Select(e => e.EventType)),
                Petition = events[0].PetitionName,
                CreatedAt = now,
                NextAttemptAt = now,
            };
            deliveries[delivery.Id] = delivery;
            order.Enqueue(delivery.Id);
            Persist(delivery);
            Schedule(delivery.Id, now);
        }

        wake.Release();
    }

    void Schedule(string id, DateTimeOffset at)
    {
        lock (dueGate)
        {
            due.Enqueue(id, at);
        }
    }

    void Persist(Delivery delivery)
    {
        lock (recordGate)
        {
            emulator.Store.Put("delivery", delivery.Id, Interlocked.Increment(ref sequence), JsonSerializer.Serialize(delivery, EmulatorJsonContext.Default.Delivery));
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        EnsureLoaded();
        // A queue ordered by next attempt time: each wake starts what is due, at most 128 deliveries in flight.
        while (!stoppingToken.IsCancellationRequested)
        {
            var nextDue = TimeSpan.FromSeconds(1);
            while (true)
            {
                string? id = null;
                lock (dueGate)
                {
                    if (due.TryPeek(out var candidate, out var at))
                    {
                        var wait = at - time.GetUtcNow();
                        if (wait <= TimeSpan.Zero)
                        {
                            id = due.Dequeue();
                        }
                        else
                        {
                            nextDue = wait < nextDue ? wait : nextDue;
                        }
                    }
                }

                if (id is null)
                {
                    break;
                }

                if (!deliveries.TryGetValue(id, out var delivery) || delivery.State != DeliveryState.Pending)
                {
                    continue;
                }

                try
                {
                    await inFlight.WaitAsync(stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                _ = Task.Run(async () =>
                {
                    try
                    {
                        await AttemptAsync(delivery, stoppingToken);
                    }
                    finally
                    {
                        inFlight.Release();
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
        lock (recordGate)
        {
            delivery.Attempts.Add(attempt);
            if (delivered)
            {
                delivery.State = DeliveryState.Delivered;
            }
            else if (delivery.Attempts.Count >= options.MaxDeliveryAttempts)
            {
                delivery.State = DeliveryState.Failed;
                logger.LogWarning("Webhook {Event} for petition {Petition} to {Url} failed after {Attempts} attempts", delivery.EventType, delivery.Petition, delivery.Url, delivery.Attempts.Count);
            }
            else
            {
                var backoff = options.DeliveryBaseDelay * Math.Pow(2, delivery.Attempts.Count - 1);
                var jitter = 0.8 + (Random.Shared.NextDouble() * 0.4);
                var delay = TimeSpan.FromMilliseconds(Math.Min(options.DeliveryMaxDelay.TotalMilliseconds, backoff.TotalMilliseconds * jitter));
                delivery.NextAttemptAt = time.GetUtcNow() + delay;
                Schedule(delivery.Id, delivery.NextAttemptAt);
            }
        }

        Persist(delivery);
    }

    public override void Dispose()
    {
        emulator.EventsRaised -= Enqueue;
        wake.Dispose();
        inFlight.Dispose();
        base.Dispose();
    }
}
