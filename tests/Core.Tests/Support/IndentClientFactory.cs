using Approvals.Core.Indent;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Logging;

namespace Approvals.Core.Tests.Support;

/// <summary>Builds the production DI graph for the Indent client, pointed at a loopback server, with every log
/// line (down to Trace) captured.</summary>
public static class IndentClientFactory
{
    public const string Token = "eyJhbGciOiJub25lIn0.eyJzdWIiOiJwZXRyYUBleGFtcGxlLmNvbSJ9.c2VjcmV0LXRva2VuLXZhbHVlLTEyMzQ1Ng";

    public static ServiceProvider Build(Uri baseAddress, string? token = Token, Action<IServiceCollection>? configure = null, int maxRetries = 3)
    {
        var settings = new Dictionary<string, string?>
        {
            [IndentOptions.SpaceSetting] = "acmecorp",
            [IndentOptions.BaseUrlSetting] = baseAddress.ToString().TrimEnd('/') + "/v1",
            [IndentOptions.TokenSetting] = token,
        };
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(settings).Build());
        services.AddLogging(logging => logging.SetMinimumLevel(LogLevel.Trace).AddFakeLogging());
        services.AddIndentClient(options => options.Retry = new IndentRetryOptions
        {
            MaxRetryAttempts = maxRetries,
            BaseDelay = TimeSpan.FromMilliseconds(10),
            MaxDelay = TimeSpan.FromSeconds(3),
            AttemptTimeout = TimeSpan.FromSeconds(2),
        });
        configure?.Invoke(services);
        return services.BuildServiceProvider();
    }

    public static string AllLogText(this IServiceProvider services) =>
        string.Join('\n', services.GetFakeLogCollector().GetSnapshot().Select(r => r.Message + " " + r.Exception));
}
