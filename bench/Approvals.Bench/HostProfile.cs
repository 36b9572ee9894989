using System.Diagnostics.Tracing;
using Microsoft.Diagnostics.NETCore.Client;

namespace Approvals.Bench;

/// <summary>CPU samples of another .NET process into a <c>.nettrace</c> file, over its diagnostics port — what
/// <c>dotnet-trace collect --profile cpu-sampling</c> records (the runtime's sample profiler plus the runtime events
/// that name the methods), read afterwards with <c>dotnet-trace report FILE topN</c>.</summary>
public sealed class HostProfile : IAsyncDisposable
{
    // The runtime keywords dotnet-trace's cpu-sampling profile asks for: GC, loader, JIT and method names, exceptions.
    const long RuntimeKeywords = 0x14C14FCCBD;

    readonly EventPipeSession session;
    readonly FileStream file;
    readonly Task copying;

    HostProfile(EventPipeSession session, FileStream file)
    {
        this.session = session;
        this.file = file;
        copying = session.EventStream.CopyToAsync(file);
    }

    public static HostProfile Start(int processId, string path)
    {
        var client = new DiagnosticsClient(processId);
        var session = client.StartEventPipeSession(
            [
                new EventPipeProvider("Microsoft-DotNETCore-SampleProfiler", EventLevel.Informational),
                new EventPipeProvider("Microsoft-Windows-DotNETRuntime", EventLevel.Informational, RuntimeKeywords),
            ],
            requestRundown: true);
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        return new HostProfile(session, File.Create(path));
    }

    /// <summary>Stops sampling (the runtime then writes the method names) and closes the file.</summary>
    public async ValueTask DisposeAsync()
    {
        await session.StopAsync(CancellationToken.None);
        await copying.WaitAsync(TimeSpan.FromMinutes(2));
        await file.DisposeAsync();
        session.Dispose();
    }
}
