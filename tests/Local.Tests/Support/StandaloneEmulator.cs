using Approvals.Local.Emulator;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace Approvals.Local.Tests.Support;

/// <summary>The emulator's state machine and webhook dispatcher without a host, delivering to a URL of the test's choice.</summary>
public sealed class StandaloneEmulator : IAsyncDisposable
{
    readonly ServiceProvider services;

    public IndentEmulator Emulator { get; }
    public WebhookDispatcher Dispatcher { get; }
    public FaultInjector Faults { get; } = new();

    public StandaloneEmulator(Uri webhookUrl, string? dataDirectory = null, Action<EmulatorOptions>? configure = null)
    {
        var options = new EmulatorOptions { Space = "acme", DataDirectory = dataDirectory, DeliveryBaseDelay = TimeSpan.FromMilliseconds(50), MaxDeliveryAttempts = 5 };
        options.Tokens.Add(TestHost.Token);
        options.WebhookSecrets.Add(TestHost.WebhookSecret);
        options.WebhookUrls.Add(webhookUrl);
        configure?.Invoke(options);
        services = new ServiceCollection().AddHttpClient().BuildServiceProvider();
        Emulator = new IndentEmulator(options, TimeProvider.System, NullLogger<IndentEmulator>.Instance);
        Dispatcher = new WebhookDispatcher(Emulator, services.GetRequiredService<IHttpClientFactory>(), TimeProvider.System, Faults, NullLogger<WebhookDispatcher>.Instance);
    }

    public Task StartAsync() => Dispatcher.StartAsync(CancellationToken.None);

    public async Task<T> EventuallyAsync<T>(Func<T> read, Func<T, bool> done, int timeoutMs = 10_000)
    {
        var until = DateTime.UtcNow.AddMilliseconds(timeoutMs);
        var value = read();
        while (!done(value) && DateTime.UtcNow < until)
        {
            await Task.Delay(25);
            value = read();
        }

        return value;
    }

    public async ValueTask DisposeAsync()
    {
        await Dispatcher.StopAsync(CancellationToken.None);
        Dispatcher.Dispose();
        Emulator.Dispose();
        await services.DisposeAsync();
    }
}
