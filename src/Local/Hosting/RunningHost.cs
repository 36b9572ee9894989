using Microsoft.AspNetCore.Builder;

namespace Approvals.Local.Hosting;

/// <summary>A running local host: API, emulator, inbox and durable engine in one process.</summary>
public sealed class RunningHost(WebApplication app, Uri baseAddress, bool emulated, string engineDescription, string dataDirectory, string? generatedSecretsFile) : IAsyncDisposable
{
    public WebApplication App { get; } = app;
    public Uri BaseAddress { get; } = baseAddress;
    public bool Emulated { get; } = emulated;
    public string EngineDescription { get; } = engineDescription;
    public string DataDirectory { get; } = dataDirectory;
    public string? GeneratedSecretsFile { get; } = generatedSecretsFile;
    /// <summary>The inbox's sign-in link (see <see cref="Inbox.InboxSession"/>).</summary>
    public Uri Inbox => Services.GetService(typeof(Inbox.InboxSession)) is Inbox.InboxSession session ? session.Link(BaseAddress) : new(BaseAddress, "inbox");
    public Uri Api => new(BaseAddress, "api/");
    public Uri IndentApi => new(BaseAddress, "indent/v1");
    public IServiceProvider Services => App.Services;

    /// <summary>A bearer token from this host's own issuer (<see cref="Identity.LocalIssuer"/>) for <paramref name="email"/>;
    /// roles default to <c>Approvals.Request</c>.</summary>
    public string MintToken(string email, IEnumerable<string>? roles = null, TimeSpan? lifetime = null) =>
        Identity.LocalIssuer.Open(DataDirectory).Mint(email, roles ?? [Core.Identity.ApprovalsRoles.Request], lifetime ?? TimeSpan.FromHours(1), DateTimeOffset.UtcNow);

    public async ValueTask DisposeAsync()
    {
        await App.StopAsync();
        await App.DisposeAsync();
    }
}
